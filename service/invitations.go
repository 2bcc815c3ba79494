package service

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/keywayhq/keyway"
)

// InviteToAccount is POST /accounts/{id}/users: an invitation to join the
// whole account as a user.
func (s *Service) InviteToAccount(ctx context.Context, c *keyway.Caller, accountID string, in *keyway.AccountInvite) error {
	p := s.people
	if err := guard(c, keyway.RoleAdmin); err != nil {
		return err
	}
	if err := in.Validate(); err != nil {
		return err
	}
	a, err := s.pathAccount(ctx, c, accountID)
	if err != nil {
		return err
	}
	if err := need(c, keyway.RoleAdmin, a.ID, ""); err != nil {
		return err
	}
	_, err = s.invite(ctx, p, c, a, []string{in.Email}, keyway.RoleUser, nil)
	return err
}

// CreateInvitations is POST /invitations. Inviting is an admin's job over
// everything the invitation grants: the account, or each named project.
func (s *Service) CreateInvitations(ctx context.Context, c *keyway.Caller, in *keyway.InvitationCreate) ([]*keyway.Invitation, error) {
	p := s.people
	t, err := s.open(ctx, c, prelude{guard: keyway.RoleAdmin, validate: in.Validate,
		scope: func() resolver { return s.inAccount(in.AccountID, in.ProjectIDs...) }, deleted: "projectIds", need: keyway.RoleAdmin})
	if err != nil {
		return nil, err
	}
	a, err := s.pathAccount(ctx, c, t.accountID)
	if err != nil {
		return nil, err
	}
	return s.invite(ctx, p, c, a, in.Emails, in.Role, in.ProjectIDs)
}

// mayManage requires an admin over every scope of an invitation.
func (s *Service) mayManage(c *keyway.Caller, accountID string, projectIDs []string) error {
	if len(projectIDs) == 0 {
		return need(c, keyway.RoleAdmin, accountID, "")
	}
	for _, id := range projectIDs {
		if err := need(c, keyway.RoleAdmin, accountID, id); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) invite(ctx context.Context, p *People, c *keyway.Caller, a *keyway.Account, emails []string, role keyway.Role, projectIDs []string) ([]*keyway.Invitation, error) {
	now := s.now()
	actor, actorType := c.Actor()
	inviter := a.Name
	if c.User != nil {
		inviter = c.User.Name
	}
	invs := make([]*keyway.Invitation, len(emails))
	for i, email := range emails {
		invs[i] = &keyway.Invitation{
			ID: newID(), Email: email, AccountID: a.ID, ProjectIDs: orEmpty(projectIDs), Role: role,
			Status: keyway.InvitationPending, InvitedBy: actor, InvitedByType: actorType, InviterName: inviter,
			ExpiresAt: keyway.NewTime(now.Add(p.InvitationTTL)), CreatedAt: now, UpdatedAt: now,
		}
	}
	if err := p.Groups.CreateInvitations(ctx, invs, now.Time); err != nil {
		return nil, err
	}
	for _, inv := range invs {
		s.mailInvitation(p, a, inv)
	}
	return invs, nil
}

// mailInvitation emails the link to accept. The invitation id in it is the
// invitee's proof of having received the mail, so it is a secret of the
// message and masked when mail goes to the log.
func (s *Service) mailInvitation(p *People, a *keyway.Account, inv *keyway.Invitation) {
	if p.Mail == nil {
		return
	}
	link := strings.TrimRight(p.PublicURL, "/") + "/ui/signup?invitationId=" + url.QueryEscape(inv.ID)
	text := fmt.Sprintf("%s invited you to join %q on Keyway as %s.\n\n"+
		"Accept: %s\n\nAlready have a Keyway login? Sign in and accept invitation %s.\n\nThe invitation expires at %s.\n",
		inv.InviterName, a.Name, inv.Role, link, inv.ID, inv.ExpiresAt)
	p.Mail.Enqueue(keyway.MailMessage{
		To: inv.Email, Subject: "You are invited to " + oneLine(a.Name) + " on Keyway", Text: text, Secrets: []string{inv.ID},
	})
}

// oneLine keeps a name from breaking an email header.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, s)
}

// ListInvitations lists an account's invitations, for its admins; an admin
// narrowed to projects lists a project's.
func (s *Service) ListInvitations(ctx context.Context, c *keyway.Caller, accountID, projectID, status string, page keyway.Page) ([]*keyway.Invitation, string, error) {
	p := s.people
	st := keyway.InvitationStatus(status)
	t, err := s.open(ctx, c, prelude{scope: func() resolver { return s.queryTarget(accountID, projectID) }, need: keyway.RoleAdmin})
	if err != nil {
		return nil, "", err
	}
	now := s.clock.Now()
	invs, next, err := p.Groups.Invitations(ctx, keyway.InvitationFilter{AccountID: t.accountID, ProjectID: scopeOf(t.project()), Status: st, Now: now, Page: page})
	for _, inv := range invs {
		inv.Settle(now)
	}
	return invs, next, err
}

// pathInvitation loads an invitation named in the path for the admins of
// what it grants: a caller reaching none of that does not see it; one who
// sees it but does not administer all of it is refused.
func (s *Service) pathInvitation(ctx context.Context, c *keyway.Caller, id string) (*People, *keyway.Invitation, error) {
	p := s.people
	inv, err := p.Groups.Invitation(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if !seesInvitation(c, inv) {
		return nil, nil, keyway.ErrInvitationNotFound
	}
	if err := s.mayManage(c, inv.AccountID, inv.ProjectIDs); err != nil {
		return nil, nil, err
	}
	inv.Settle(s.clock.Now())
	return p, inv, nil
}

func seesInvitation(c *keyway.Caller, inv *keyway.Invitation) bool {
	for _, g := range inv.Grants() {
		if c.Role(g.AccountID, g.ProjectID) != "" {
			return true
		}
	}
	return false
}

func (s *Service) GetInvitation(ctx context.Context, c *keyway.Caller, id string) (*keyway.Invitation, error) {
	_, inv, err := s.pathInvitation(ctx, c, id)
	return inv, err
}

// UpdateInvitation changes the role a pending invitation offers.
func (s *Service) UpdateInvitation(ctx context.Context, c *keyway.Caller, id string, in *keyway.InvitationUpdate) (*keyway.Invitation, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	return s.changeInvitation(ctx, c, id, func(inv *keyway.Invitation) { inv.Role = in.Role })
}

// CancelInvitation withdraws a pending invitation.
func (s *Service) CancelInvitation(ctx context.Context, c *keyway.Caller, id string) (*keyway.Invitation, error) {
	return s.changeInvitation(ctx, c, id, func(inv *keyway.Invitation) { inv.Status = keyway.InvitationCancelled })
}

// resendLimit bounds how often one invitation's email is sent again: a
// resend is a mail to an address the invitee may not want, so an admin
// (or a leaked admin credential) cannot flood it.
var resendLimit = keyway.RateLimit{RateLimit: 3, RateLimitTTL: 60 * 60}

// ResendInvitation sends a pending invitation's email again, unchanged:
// the same id, role and expiry, no new invitation. It is for the admins
// who may cancel it, and bounded per invitation (resendLimit).
func (s *Service) ResendInvitation(ctx context.Context, c *keyway.Caller, id string) (*keyway.Invitation, error) {
	p, inv, err := s.pathInvitation(ctx, c, id)
	if err != nil {
		return nil, err
	}
	if inv.Status != keyway.InvitationPending {
		return nil, keyway.ErrInvitationNotPending
	}
	a, err := s.store.Account(ctx, inv.AccountID)
	if err != nil {
		return nil, err
	}
	if p.Limiter != nil {
		if err := s.spend(ctx, p, "resend-invitation:"+inv.ID, resendLimit); err != nil {
			return nil, err
		}
	}
	s.mailInvitation(p, a, inv)
	return inv, nil
}

func (s *Service) changeInvitation(ctx context.Context, c *keyway.Caller, id string, change func(*keyway.Invitation)) (*keyway.Invitation, error) {
	p, inv, err := s.pathInvitation(ctx, c, id)
	if err != nil {
		return nil, err
	}
	if inv.Status != keyway.InvitationPending {
		return nil, keyway.ErrInvitationNotPending
	}
	change(inv)
	inv.UpdatedAt = s.now()
	if err := p.Groups.UpdatePendingInvitation(ctx, inv, s.clock.Now()); err != nil {
		return nil, err
	}
	return inv, nil
}

// AcceptInvitation is the signed-in invitee taking up an invitation sent to
// their email.
func (s *Service) AcceptInvitation(ctx context.Context, c *keyway.Caller, id string) (*keyway.Invitation, error) {
	p := s.people
	if c.User == nil {
		return nil, keyway.ErrForbidden
	}
	inv, err := s.invitationFor(ctx, p, id, c.User)
	if err != nil {
		return nil, err
	}
	if err := p.Groups.AcceptInvitation(ctx, inv.ID, c.User, false, s.acceptedNotice(inv, c.User), s.clock.Now()); err != nil {
		return nil, err
	}
	return p.Groups.Invitation(ctx, inv.ID)
}

// InvitationInfo is the public page of an invitation: whoever holds the
// link sees who invited them where, and nothing else.
func (s *Service) InvitationInfo(ctx context.Context, id string) (*keyway.InvitationInfo, error) {
	p := s.people
	inv, err := p.Groups.Invitation(ctx, id)
	if err != nil {
		return nil, err
	}
	a, err := s.store.Account(ctx, inv.AccountID)
	if err != nil {
		return nil, err
	}
	if !a.IsActive {
		return nil, keyway.ErrInvitationNotFound
	}
	inv.Settle(s.clock.Now())
	return &keyway.InvitationInfo{ID: inv.ID, AccountName: a.Name, InviterName: inv.InviterName, Role: inv.Role, Status: inv.Status, ExpiresAt: inv.ExpiresAt}, nil
}

// SetUserRole gives a member of an account a role, over the account or one
// of its projects; an admin's job. The account keeps at least one admin.
func (s *Service) SetUserRole(ctx context.Context, c *keyway.Caller, userID string, in *keyway.RoleChange) ([]keyway.UserRole, error) {
	p := s.people
	t, err := s.open(ctx, c, prelude{guard: keyway.RoleAdmin, validate: in.Validate,
		scope: func() resolver { return s.inAccount(in.AccountID, optional(in.ProjectID)...) }, need: keyway.RoleAdmin})
	if err != nil {
		return nil, err
	}
	// Unlike the prelude's order, a caller who does not administer the
	// project hears that (403) before hearing it is deleted (400).
	if pr := t.project(); pr != nil && !pr.IsActive {
		return nil, keyway.Invalid("projectId refers to a deleted project")
	}
	if err := p.Groups.SetUserRole(ctx, userID, keyway.Grant{AccountID: in.AccountID, ProjectID: keyway.Deref(in.ProjectID), Role: in.Role}); err != nil {
		return nil, err
	}
	return s.rolesIn(ctx, p, userID, in.AccountID)
}

// RemoveUserRoles takes a user's role over one project, or, without a
// project, every role in the account: the user leaves it.
func (s *Service) RemoveUserRoles(ctx context.Context, c *keyway.Caller, userID, accountID string, project *string) ([]keyway.UserRole, error) {
	p := s.people
	// Without a project the member leaves the account: that takes
	// leaving projectId out, not a blank one.
	blank := func() error {
		if project != nil && *project == "" {
			return keyway.Invalid("projectId should not be empty")
		}
		return nil
	}
	// A role over a deleted project can still be taken away.
	t, err := s.open(ctx, c, prelude{guard: keyway.RoleAdmin, validate: blank,
		scope: func() resolver { return s.inAccount(accountID, optional(project)...) }, need: keyway.RoleAdmin})
	if err != nil {
		return nil, err
	}
	if err := p.Groups.RemoveUserRoles(ctx, userID, t.accountID, keyway.Deref(project)); err != nil {
		return nil, err
	}
	return s.rolesIn(ctx, p, userID, t.accountID)
}

func (s *Service) rolesIn(ctx context.Context, p *People, userID, accountID string) ([]keyway.UserRole, error) {
	roles, err := p.Store.UserRoles(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := []keyway.UserRole{}
	for _, r := range roles {
		if r.AccountID == accountID {
			out = append(out, r)
		}
	}
	return out, nil
}

// Teammates lists who holds roles in an account, or over one project of it
// (its own roles and the account-wide ones). A person narrowed to projects
// sees the account-wide roles and those over its projects; a credential
// narrowed to a project sees no one (peopleOf).
func (s *Service) Teammates(ctx context.Context, c *keyway.Caller, accountID, projectID string) ([]keyway.Teammate, error) {
	p := s.people
	accountID, err := namedAccount(c, accountID)
	if err != nil {
		return nil, err
	}
	if err := peopleOf(c, accountID); err != nil {
		return nil, err
	}
	if projectID != "" {
		if _, err := s.projectIn(ctx, c, accountID, projectID); err != nil {
			return nil, err
		}
	}
	all, err := p.Groups.Teammates(ctx, accountID)
	if err != nil {
		return nil, err
	}
	out := []keyway.Teammate{}
	for _, t := range all {
		switch {
		case t.ProjectID == nil:
		case projectID != "" && *t.ProjectID != projectID:
			continue
		case c.Role(accountID, *t.ProjectID) == "":
			continue
		}
		out = append(out, t)
	}
	return out, nil
}
