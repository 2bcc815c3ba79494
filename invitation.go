package keyway

import (
	"context"
	"slices"
	"time"
)

// InvitationStatus is where an invitation stands. An invitation stored as
// pending whose time has run out reads as expired.
type InvitationStatus string

const (
	InvitationPending   InvitationStatus = "pending"
	InvitationAccepted  InvitationStatus = "accepted"
	InvitationCancelled InvitationStatus = "cancelled"
	InvitationExpired   InvitationStatus = "expired"
)

func (s InvitationStatus) Valid() bool {
	switch s {
	case InvitationPending, InvitationAccepted, InvitationCancelled, InvitationExpired:
		return true
	}
	return false
}

// DefaultInvitationTTL is how long an invitation waits to be accepted.
const DefaultInvitationTTL = 7 * 24 * time.Hour

// MaxInvitationEmails bounds one POST /invitations.
const MaxInvitationEmails = 50

// Invitation asks a person, by email, to join an account with a role,
// narrowed to projects when ProjectIDs is not empty.
type Invitation struct {
	ID            string           `json:"id"`
	Email         string           `json:"email"`
	AccountID     string           `json:"accountId"`
	ProjectIDs    []string         `json:"projectIds"`
	Role          Role             `json:"role"`
	Status        InvitationStatus `json:"status"`
	InvitedBy     string           `json:"invitedBy"`
	InvitedByType ActorType        `json:"invitedByType"`
	// InviterName is shown on the public info page.
	InviterName string  `json:"-"`
	AcceptedBy  *string `json:"acceptedBy"`
	ExpiresAt   Time    `json:"expiresAt"`
	CreatedAt   Time    `json:"createdAt"`
	UpdatedAt   Time    `json:"updatedAt"`
}

// Settle turns a pending invitation past its time into an expired one, so
// every reader sees the status the clock says.
func (i *Invitation) Settle(now time.Time) {
	if i.Status == InvitationPending && !now.Before(i.ExpiresAt.Time) {
		i.Status = InvitationExpired
	}
}

// Grants are the roles accepting the invitation gives.
func (i *Invitation) Grants() []Grant {
	if len(i.ProjectIDs) == 0 {
		return []Grant{{AccountID: i.AccountID, Role: i.Role}}
	}
	gs := make([]Grant, len(i.ProjectIDs))
	for n, p := range i.ProjectIDs {
		gs[n] = Grant{AccountID: i.AccountID, ProjectID: p, Role: i.Role}
	}
	return gs
}

// InvitationInfo is what GET /invitations/{id}/info shows anyone holding
// the link: enough to decide, nothing more.
type InvitationInfo struct {
	ID          string           `json:"id"`
	AccountName string           `json:"accountName"`
	InviterName string           `json:"inviterName"`
	Role        Role             `json:"role"`
	Status      InvitationStatus `json:"status"`
	ExpiresAt   Time             `json:"expiresAt"`
}

// InvitationCreate is the body of POST /invitations.
type InvitationCreate struct {
	Emails     []string `json:"emails"`
	Role       Role     `json:"role"`
	AccountID  string   `json:"accountId,omitempty"`
	ProjectIDs []string `json:"projectIds,omitempty"`
}

func (in *InvitationCreate) Validate() error {
	var p problems
	switch {
	case len(in.Emails) == 0:
		p.add("emails should not be empty")
	case len(in.Emails) > MaxInvitationEmails:
		p.add("emails must contain no more than %d elements", MaxInvitationEmails)
	}
	for i, e := range in.Emails {
		in.Emails[i] = NormalizeEmail(e)
		p.email(in.Emails[i])
	}
	seen := map[string]bool{}
	for _, e := range in.Emails {
		if seen[e] {
			p.add("emails must not repeat an address")
			break
		}
		seen[e] = true
	}
	p.role(in.Role)
	p.id("accountId", in.AccountID)
	if len(in.ProjectIDs) > 100 {
		p.add("projectIds must contain no more than 100 elements")
	}
	for _, id := range in.ProjectIDs {
		if id == "" {
			p.add("projectIds should not contain empty ids")
		}
		p.id("projectIds", id)
	}
	slices.Sort(in.ProjectIDs)
	in.ProjectIDs = slices.Compact(in.ProjectIDs)
	return p.err()
}

// InvitationUpdate is the body of PATCH /invitations/{id}.
type InvitationUpdate struct {
	Role Role `json:"role"`
}

func (in *InvitationUpdate) Validate() error {
	var p problems
	p.role(in.Role)
	return p.err()
}

// AccountInvite is the body of POST /accounts/{id}/users.
type AccountInvite struct {
	Email string `json:"email"`
}

func (in *AccountInvite) Validate() error {
	var p problems
	in.Email = NormalizeEmail(in.Email)
	p.email(in.Email)
	return p.err()
}

// RoleChange is the body of PATCH /users/{id}/roles.
type RoleChange struct {
	AccountID string  `json:"accountId"`
	Role      Role    `json:"role"`
	ProjectID *string `json:"projectId,omitempty"`
}

func (in *RoleChange) Validate() error {
	var p problems
	if in.AccountID == "" {
		p.add("accountId should not be empty")
	}
	p.id("accountId", in.AccountID)
	p.narrowingID("projectId", in.ProjectID)
	p.role(in.Role)
	return p.err()
}

// InvitationFilter selects invitations of one account.
type InvitationFilter struct {
	AccountID string
	// ProjectID, when set, keeps invitations naming that project.
	ProjectID string
	// Status, when set, keeps invitations in that status at Now.
	Status InvitationStatus
	Now    time.Time
	Page
}

// Teammate is one role of a person in an account (GET /teammates).
type Teammate struct {
	UserID    string  `json:"userId"`
	Name      string  `json:"name"`
	Email     string  `json:"email"`
	Role      Role    `json:"role"`
	ProjectID *string `json:"projectId"`
}

// PeopleStore persists what people do together: memberships, invitations
// and one-time sign-in codes. Every change of roles keeps at least one
// account-wide admin in the account, or fails with ErrLastAdmin.
type PeopleStore interface {
	// CreateAccountForUser creates an account with the user as its admin.
	CreateAccountForUser(ctx context.Context, a *Account, userID string) error
	// Teammates lists every role held in an account, with its holder.
	Teammates(ctx context.Context, accountID string) ([]Teammate, error)
	// SetUserRole gives a member of the account a role (over one project
	// when projectID is set); a user without any role in the account is
	// ErrUserNotFound.
	SetUserRole(ctx context.Context, userID string, g Grant) error
	// RemoveUserRoles removes a user's role over one project, or every
	// role in the account when projectID is "".
	RemoveUserRoles(ctx context.Context, userID, accountID, projectID string) error

	// CreateInvitations stores invitations; one already pending for an
	// address, or an address that is already a member, is CodeConflict.
	CreateInvitations(ctx context.Context, invs []*Invitation, now time.Time) error
	Invitation(ctx context.Context, id string) (*Invitation, error)
	Invitations(ctx context.Context, f InvitationFilter) ([]*Invitation, string, error)
	// UpdatePendingInvitation changes the role or status of an invitation
	// that is still pending at now; otherwise ErrInvitationNotPending.
	UpdatePendingInvitation(ctx context.Context, inv *Invitation, now time.Time) error
	// AcceptInvitation grants the invitation's roles to the user (created
	// first when newUser is set), marks it accepted and writes n, in one
	// transaction; it must still be pending at now.
	AcceptInvitation(ctx context.Context, id string, u *User, newUser bool, n *Notification, now time.Time) error

	// CreateLoginCode stores a one-time code's digest for a user.
	CreateLoginCode(ctx context.Context, digest []byte, userID string, created, expires time.Time) error
	// UseLoginCode spends a code once; unknown, used or expired codes are
	// ErrUnauthorized.
	UseLoginCode(ctx context.Context, digest []byte, now time.Time) (userID string, err error)

	// NotifyExpiringKeys writes one notification per active API key
	// expiring before until that has not been told about its current
	// expiry; it returns how many it wrote.
	NotifyExpiringKeys(ctx context.Context, now, until time.Time, notify func(k *APIKey) *Notification) (int, error)
}

var (
	ErrInvitationNotFound   = Errorf(CodeNotFound, "Invitation not found")
	ErrInvitationNotPending = Errorf(CodeConflict, "Invitation is no longer pending")
	ErrLastAdmin            = Errorf(CodeConflict, "An account must keep at least one admin")
)
