package service_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/keywayhq/keyway"
)

// A resend mails the same invitation again (same id, no new invitation),
// only while it is pending, and a bounded number of times an hour.
func TestResendInvitation(t *testing.T) {
	forEachStoreWith(t, throttled, func(t *testing.T, h *harness) {
		admin, acct := h.founder(t, h.email("founder"))
		email := h.email("invitee")
		invs, err := h.svc.CreateInvitations(h.ctx, admin, &keyway.InvitationCreate{Emails: []string{email}, Role: keyway.RoleViewer, AccountID: acct})
		must(t, err)
		first, ok := h.mail.last(email)
		if !ok || !strings.Contains(first.Text, "/ui/signup?invitationId="+invs[0].ID) {
			t.Fatalf("first mail %+v", first)
		}
		sent := func() int {
			h.mail.mu.Lock()
			defer h.mail.mu.Unlock()
			n := 0
			for _, m := range h.mail.sent {
				if m.To == email {
					n++
				}
			}
			return n
		}
		for i := range 3 {
			inv, err := h.svc.ResendInvitation(h.ctx, admin, invs[0].ID)
			must(t, err)
			if inv.ID != invs[0].ID || inv.Status != keyway.InvitationPending || !inv.ExpiresAt.Equal(invs[0].ExpiresAt.Time) {
				t.Fatalf("resend %d: %+v", i, inv)
			}
			if got := sent(); got != i+2 {
				t.Fatalf("after resend %d: %d mails", i, got)
			}
		}
		if m, _ := h.mail.last(email); m.Text != first.Text {
			t.Fatalf("the resent mail differs:\n%s\n---\n%s", m.Text, first.Text)
		}
		// Past the bound: refused, and nothing mailed.
		if _, err := h.svc.ResendInvitation(h.ctx, admin, invs[0].ID); keyway.ErrorCode(err) != keyway.CodeRateLimited {
			t.Fatalf("4th resend: %v, want 429", err)
		}
		if sent() != 4 {
			t.Fatalf("a refused resend mailed: %d", sent())
		}
		h.clock.Advance(time.Hour + time.Second)
		_, err = h.svc.ResendInvitation(h.ctx, admin, invs[0].ID)
		must(t, err)
		// Still one invitation.
		all, _, err := h.svc.ListInvitations(h.ctx, admin, acct, "", "", keyway.Page{Limit: 10})
		must(t, err)
		if len(all) != 1 {
			t.Fatalf("invitations %+v", all)
		}
		// A cancelled or unknown invitation is not resent.
		_, err = h.svc.CancelInvitation(h.ctx, admin, invs[0].ID)
		must(t, err)
		if _, err := h.svc.ResendInvitation(h.ctx, admin, invs[0].ID); !errors.Is(err, keyway.ErrInvitationNotPending) {
			t.Fatalf("resend of a cancelled invitation: %v", err)
		}
		if _, err := h.svc.ResendInvitation(h.ctx, admin, "00000000-0000-7000-8000-000000000000"); keyway.ErrorCode(err) != keyway.CodeNotFound {
			t.Fatalf("resend of an unknown invitation: %v", err)
		}
		// An admin of another account does not learn it exists.
		other, _ := h.founder(t, h.email("other"))
		if _, err := h.svc.ResendInvitation(h.ctx, other, invs[0].ID); !errors.Is(err, keyway.ErrInvitationNotFound) {
			t.Fatalf("resend by another account's admin: %v", err)
		}
	})
}
