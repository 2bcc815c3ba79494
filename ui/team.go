package ui

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/keywayhq/keyway"
)

// teamService is what the team pages: teammates and roles, invitations, sign-up from an invitation, notifications call.
type teamService interface {
	Teammates(ctx context.Context, c *keyway.Caller, accountID, projectID string) ([]keyway.Teammate, error)
	SetUserRole(ctx context.Context, c *keyway.Caller, userID string, in *keyway.RoleChange) ([]keyway.UserRole, error)
	RemoveUserRoles(ctx context.Context, c *keyway.Caller, userID, accountID string, project *string) ([]keyway.UserRole, error)
	CreateInvitations(ctx context.Context, c *keyway.Caller, in *keyway.InvitationCreate) ([]*keyway.Invitation, error)
	ListInvitations(ctx context.Context, c *keyway.Caller, accountID, projectID, status string, page keyway.Page) ([]*keyway.Invitation, string, error)
	GetInvitation(ctx context.Context, c *keyway.Caller, id string) (*keyway.Invitation, error)
	UpdateInvitation(ctx context.Context, c *keyway.Caller, id string, in *keyway.InvitationUpdate) (*keyway.Invitation, error)
	CancelInvitation(ctx context.Context, c *keyway.Caller, id string) (*keyway.Invitation, error)
	ResendInvitation(ctx context.Context, c *keyway.Caller, id string) (*keyway.Invitation, error)
	AcceptInvitation(ctx context.Context, c *keyway.Caller, id string) (*keyway.Invitation, error)
	InvitationInfo(ctx context.Context, id string) (*keyway.InvitationInfo, error)
	Signup(ctx context.Context, in *keyway.Signup) error
	Notifications(ctx context.Context, c *keyway.Caller, page keyway.Page) ([]*keyway.Notification, string, error)
	MarkNotificationRead(ctx context.Context, c *keyway.Caller, id string) (*keyway.Notification, error)
}

// teamRoutes maps the team pages: teammates and roles, invitations, sign-up from an invitation, notifications.
func (h *handler) teamRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /ui/team", h.private(h.teamPage))
	mux.HandleFunc("POST /ui/team/members/{user}/role", h.private(h.setRole))
	mux.HandleFunc("GET /ui/team/members/{user}/remove", h.private(h.removeMemberPage))
	mux.HandleFunc("POST /ui/team/members/{user}/remove", h.private(h.removeMember))
	mux.HandleFunc("GET /ui/team/invite", h.private(h.invitePage))
	mux.HandleFunc("POST /ui/team/invitations", h.private(h.invite))
	mux.HandleFunc("POST /ui/team/invitations/{id}/role", h.private(h.invitationRole))
	mux.HandleFunc("POST /ui/team/invitations/{id}/resend", h.private(h.resendInvitation))
	mux.HandleFunc("GET /ui/team/invitations/{id}/cancel", h.private(h.cancelInvitationPage))
	mux.HandleFunc("POST /ui/team/invitations/{id}/cancel", h.private(h.cancelInvitation))

	mux.HandleFunc("GET /ui/signup", h.signupPage)
	mux.HandleFunc("POST /ui/signup", h.signup)
	mux.HandleFunc("POST /ui/signup/accept", h.signinAndAccept)

	mux.HandleFunc("GET /ui/notifications", h.private(h.notificationsPage))
	mux.HandleFunc("POST /ui/notifications/{id}/read", h.private(h.markRead))
}

// roles are the roles a person may be given, most powerful first.
var roles = []keyway.Role{keyway.RoleAdmin, keyway.RoleUser, keyway.RoleViewer}

// choice is one option of a filter: its value and its label.
type choice struct{ Value, Label string }

// invitationStatuses are the filters of the invitations table.
var invitationStatuses = []choice{{"pending", "Pending"}, {"accepted", "Accepted"}, {"expired", "Expired"}, {"cancelled", "Cancelled"}, {"all", "All"}}

// invitationsPageSize is how many invitations one page of the table shows.
const invitationsPageSize = 50

// member is one role of a teammate, with the name of the project it is
// over ("" for the whole account).
type member struct {
	keyway.Teammate
	Project string
	// Self is the signed-in person's own row.
	Self bool
}

// invitationRow is an invitation with the names of its projects.
type invitationRow struct {
	*keyway.Invitation
	Projects []string
}

// teamData is the team page of the current account.
type teamData struct {
	Account     *keyway.Account
	Members     []member
	CanManage   bool
	Invitations []invitationRow
	Status      string
	Statuses    []choice
	Roles       []keyway.Role
	Next        string
	// Notice says what the last action did ("Invitations sent to 2
	// addresses.").
	Notice string
	// Refused says why the team is not shown (a role that may not see it).
	Refused string
}

// projectNames maps the ids of the account's projects the caller sees to
// "name (env)"; one bounded call.
func (h *handler) projectNames(r *http.Request, v *visit) (map[string]string, []*keyway.Project, error) {
	first := ""
	ps, _, err := h.svc.ListProjects(r.Context(), v.Caller, v.Account.ID, keyway.Page{Limit: keyway.MaxPageLimit, Cursor: &first})
	if err != nil {
		return nil, nil, err
	}
	names := make(map[string]string, len(ps))
	for _, p := range ps {
		names[p.ID] = p.Name + " (" + string(p.Env) + ")"
	}
	return names, ps, nil
}

func (h *handler) teamPage(w http.ResponseWriter, r *http.Request) {
	h.showTeam(w, r, http.StatusOK, "", noticeOf(r.URL.Query()))
}

// noticeOf is the message of the redirect after an action.
func noticeOf(q url.Values) string {
	switch {
	case q.Get("sent") != "":
		n, _ := strconv.Atoi(q.Get("sent"))
		if n == 1 {
			return "Invitation sent to 1 address."
		}
		return "Invitations sent to " + strconv.Itoa(n) + " addresses."
	case q.Get("resent") != "":
		return "Invitation sent again to " + q.Get("resent") + "."
	case q.Get("cancelled") != "":
		return "Invitation to " + q.Get("cancelled") + " cancelled."
	case q.Get("saved") != "":
		return "Role saved."
	case q.Get("removed") != "":
		return "Role removed."
	}
	return ""
}

// showTeam renders the team page, with an error from the last action when
// there is one (status is then its status).
func (h *handler) showTeam(w http.ResponseWriter, r *http.Request, st int, errMsg, notice string) {
	v := visitOf(r)
	d := teamData{Account: v.Account, Notice: notice, Statuses: invitationStatuses, Roles: roles}
	if v.Account == nil {
		h.render(w, r, st, "team", &page{Title: "Team", Error: errMsg, Data: d})
		return
	}
	names, _, err := h.projectNames(r, v)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	mates, err := h.svc.Teammates(r.Context(), v.Caller, v.Account.ID, "")
	if keyway.ErrorCode(err) == keyway.CodeForbidden {
		d.Refused = message(err)
		if st == http.StatusOK {
			st = http.StatusForbidden
		}
		h.render(w, r, st, "team", &page{Title: "Team", Error: errMsg, Data: d})
		return
	}
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	for _, m := range mates {
		row := member{Teammate: m, Self: v.Caller.User != nil && m.UserID == v.Caller.User.ID}
		if m.ProjectID != nil {
			row.Project = names[*m.ProjectID]
			if row.Project == "" {
				row.Project = *m.ProjectID
			}
		}
		d.Members = append(d.Members, row)
	}
	// Managing people is an account admin's; the service checks it again
	// on every action.
	d.CanManage = v.Admin
	if d.CanManage {
		q := r.URL.Query()
		d.Status = "pending"
		for _, c := range invitationStatuses {
			if c.Value == q.Get("status") {
				d.Status = c.Value
			}
		}
		filter := d.Status
		if filter == "all" {
			filter = ""
		}
		cursor := q.Get("cursor")
		invs, next, err := h.svc.ListInvitations(r.Context(), v.Caller, v.Account.ID, "", filter, keyway.Page{Limit: invitationsPageSize, Cursor: &cursor})
		if err != nil {
			h.fail(w, r, v, err)
			return
		}
		for _, inv := range invs {
			row := invitationRow{Invitation: inv}
			for _, id := range inv.ProjectIDs {
				row.Projects = append(row.Projects, cmpOr(names[id], id))
			}
			d.Invitations = append(d.Invitations, row)
		}
		if next != "" {
			d.Next = "/ui/team?" + url.Values{"status": {d.Status}, "cursor": {next}}.Encode()
		}
	}
	h.render(w, r, st, "team", &page{Title: "Team", Error: errMsg, Data: d})
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// projectParam is the project a member form names, nil for the whole
// account.
func projectParam(r *http.Request) *string {
	if p := r.PostFormValue("project"); p != "" {
		return &p
	}
	return nil
}

func (h *handler) noAccount(w http.ResponseWriter, r *http.Request, v *visit) bool {
	if v.Account == nil {
		h.fail(w, r, v, keyway.Errorf(keyway.CodeForbidden, "You are not in any account"))
		return true
	}
	return false
}

// setRole changes one role of a teammate; the service keeps the last
// admin and refuses anyone not an admin.
func (h *handler) setRole(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	if h.noAccount(w, r, v) {
		return
	}
	in := &keyway.RoleChange{AccountID: v.Account.ID, Role: keyway.Role(r.PostFormValue("role")), ProjectID: projectParam(r)}
	if _, err := h.svc.SetUserRole(r.Context(), v.Caller, r.PathValue("user"), in); err != nil {
		h.teamError(w, r, err)
		return
	}
	http.Redirect(w, r, "/ui/team?saved=1", http.StatusSeeOther)
}

// teamError shows a refused team action: a role that may not manage the
// team gets the error page, any other refusal (the last admin, bad input)
// the team page with the message.
func (h *handler) teamError(w http.ResponseWriter, r *http.Request, err error) {
	v := visitOf(r)
	switch keyway.ErrorCode(err) {
	case keyway.CodeForbidden, keyway.CodeNotFound, keyway.CodeInternal, keyway.CodeUnauthorized:
		h.fail(w, r, v, err)
		return
	}
	h.showTeam(w, r, status(err), message(err), "")
}

// removeData is the confirmation page of removing a role.
type removeData struct {
	Member  member
	Project string
}

// teammate finds one role of a user in the account: the one over project,
// or the account-wide one when project is "".
func (h *handler) teammate(w http.ResponseWriter, r *http.Request, userID, project string) (member, bool) {
	v := visitOf(r)
	if h.noAccount(w, r, v) {
		return member{}, false
	}
	mates, err := h.svc.Teammates(r.Context(), v.Caller, v.Account.ID, "")
	if err != nil {
		h.fail(w, r, v, err)
		return member{}, false
	}
	for _, m := range mates {
		if m.UserID == userID && keyway.Deref(m.ProjectID) == project {
			row := member{Teammate: m, Self: v.Caller.User != nil && m.UserID == v.Caller.User.ID}
			if project != "" {
				names, _, err := h.projectNames(r, v)
				if err != nil {
					h.fail(w, r, v, err)
					return member{}, false
				}
				row.Project = cmpOr(names[project], project)
			}
			return row, true
		}
	}
	h.fail(w, r, v, keyway.ErrUserNotFound)
	return member{}, false
}

// adminsOnly shows a page of a form only account admins may send as the
// refusal it would get: no form is offered to a role that cannot use it.
func (h *handler) adminsOnly(w http.ResponseWriter, r *http.Request, v *visit) bool {
	if h.noAccount(w, r, v) {
		return false
	}
	if !v.Admin {
		h.fail(w, r, v, keyway.Errorf(keyway.CodeForbidden, "Only the admins of %s manage its team.", v.Account.Name))
		return false
	}
	return true
}

func (h *handler) removeMemberPage(w http.ResponseWriter, r *http.Request) {
	if !h.adminsOnly(w, r, visitOf(r)) {
		return
	}
	project := r.URL.Query().Get("project")
	if m, ok := h.teammate(w, r, r.PathValue("user"), project); ok {
		h.render(w, r, http.StatusOK, "team_remove", &page{Title: "Remove " + m.Name, Data: removeData{Member: m, Project: project}})
	}
}

// removeMember takes a user's role over one project, or without a project
// every role in the account. Removing oneself from the account leads to
// the projects page, since the team page is no longer theirs.
func (h *handler) removeMember(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	if h.noAccount(w, r, v) {
		return
	}
	user, project := r.PathValue("user"), projectParam(r)
	if _, err := h.svc.RemoveUserRoles(r.Context(), v.Caller, user, v.Account.ID, project); err != nil {
		h.teamError(w, r, err)
		return
	}
	if project == nil && v.Caller.User != nil && user == v.Caller.User.ID {
		http.Redirect(w, r, "/ui/", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/ui/team?removed=1", http.StatusSeeOther)
}

// inviteForm is the invitation form's values, shown back after an error.
type inviteForm struct {
	Emails   string
	Role     string
	Projects []*keyway.Project
	Checked  map[string]bool
	Roles    []keyway.Role
}

func (h *handler) inviteFormData(r *http.Request, v *visit) (inviteForm, error) {
	f := inviteForm{Role: string(keyway.RoleViewer), Checked: map[string]bool{}, Roles: roles}
	_, ps, err := h.projectNames(r, v)
	f.Projects = ps
	return f, err
}

func (h *handler) invitePage(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	if !h.adminsOnly(w, r, v) {
		return
	}
	f, err := h.inviteFormData(r, v)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	if p := r.URL.Query().Get("project"); p != "" {
		f.Checked[p] = true
	}
	h.render(w, r, http.StatusOK, "team_invite", &page{Title: "Invite people", Data: f})
}

// splitEmails reads the addresses typed one per line or separated by
// commas, semicolons or spaces.
func splitEmails(s string) []string {
	out := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
	if out == nil {
		out = []string{}
	}
	return out
}

// invite sends one invitation per address, with the role, to the whole
// account or to the projects ticked; any problem re-renders the form with
// what was typed, and nothing is sent.
func (h *handler) invite(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	if h.noAccount(w, r, v) {
		return
	}
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, v, keyway.Invalid("the form could not be read"))
		return
	}
	in := &keyway.InvitationCreate{Emails: splitEmails(r.PostFormValue("emails")), Role: keyway.Role(r.PostFormValue("role")),
		AccountID: v.Account.ID, ProjectIDs: r.PostForm["projects"]}
	invs, err := h.svc.CreateInvitations(r.Context(), v.Caller, in)
	if err != nil {
		if c := keyway.ErrorCode(err); c == keyway.CodeForbidden || c == keyway.CodeInternal {
			h.fail(w, r, v, err)
			return
		}
		f, ferr := h.inviteFormData(r, v)
		if ferr != nil {
			h.fail(w, r, v, ferr)
			return
		}
		f.Emails, f.Role = r.PostFormValue("emails"), r.PostFormValue("role")
		for _, p := range r.PostForm["projects"] {
			f.Checked[p] = true
		}
		h.render(w, r, status(err), "team_invite", &page{Title: "Invite people", Error: message(err), Data: f})
		return
	}
	http.Redirect(w, r, "/ui/team?sent="+strconv.Itoa(len(invs)), http.StatusSeeOther)
}

func (h *handler) invitationRole(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	if _, err := h.svc.UpdateInvitation(r.Context(), v.Caller, r.PathValue("id"), &keyway.InvitationUpdate{Role: keyway.Role(r.PostFormValue("role"))}); err != nil {
		h.teamError(w, r, err)
		return
	}
	http.Redirect(w, r, "/ui/team?saved=1", http.StatusSeeOther)
}

func (h *handler) resendInvitation(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	inv, err := h.svc.ResendInvitation(r.Context(), v.Caller, r.PathValue("id"))
	if keyway.ErrorCode(err) == keyway.CodeRateLimited {
		h.showTeam(w, r, status(err), "This invitation was sent again several times in the last hour. Wait a while before sending it again.", "")
		return
	}
	if err != nil {
		h.teamError(w, r, err)
		return
	}
	http.Redirect(w, r, "/ui/team?"+url.Values{"resent": {inv.Email}}.Encode(), http.StatusSeeOther)
}

func (h *handler) cancelInvitationPage(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	inv, err := h.svc.GetInvitation(r.Context(), v.Caller, r.PathValue("id"))
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	h.render(w, r, http.StatusOK, "team_cancel", &page{Title: "Cancel invitation", Data: inv})
}

func (h *handler) cancelInvitation(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	inv, err := h.svc.CancelInvitation(r.Context(), v.Caller, r.PathValue("id"))
	if err != nil {
		h.teamError(w, r, err)
		return
	}
	http.Redirect(w, r, "/ui/team?"+url.Values{"cancelled": {inv.Email}}.Encode(), http.StatusSeeOther)
}

// signupData is the sign-up page of an invitation link.
type signupData struct {
	ID string
	// Info is what the invitation's public page shows (who invited to
	// which account, the role, status and expiry); nil when the link names
	// no invitation.
	Info *keyway.InvitationInfo
	// Email and Name are what was typed, shown back after an error; the
	// email is never filled in from the invitation: typing the address it
	// was sent to is part of proving one received it.
	Email, Name string
	// Registered is set when the email already has a login.
	Registered bool
}

// showSignup renders the sign-up page of the invitation id, reading its
// public info afresh.
func (h *handler) showSignup(w http.ResponseWriter, r *http.Request, st int, id string, err error, d signupData) {
	d.ID = id
	title := "Join Keyway"
	if id != "" {
		info, ierr := h.svc.InvitationInfo(r.Context(), id)
		switch {
		case ierr == nil:
			d.Info = info
			title = "Join " + info.AccountName + " on Keyway"
		case keyway.ErrorCode(ierr) == keyway.CodeNotFound:
			if st == http.StatusOK {
				st = http.StatusNotFound
			}
		default:
			h.fail(w, r, nil, ierr)
			return
		}
	} else if st == http.StatusOK {
		st = http.StatusNotFound
	}
	p := &page{Title: title, CSRF: h.formCSRF(w, r), Data: d}
	if err != nil {
		p.Error = message(err)
		if d.Registered {
			p.Error = "This email already has a Keyway login. Sign in below to accept the invitation."
		}
	}
	h.render(w, r, st, "signup", p)
}

func (h *handler) signupPage(w http.ResponseWriter, r *http.Request) {
	h.showSignup(w, r, http.StatusOK, r.URL.Query().Get("invitationId"), nil, signupData{})
}

// signup creates the invitee's user through the invitation and signs them
// in with the password just chosen, by the sign-in's own check.
func (h *handler) signup(w http.ResponseWriter, r *http.Request) {
	id := r.PostFormValue("invitationId")
	d := signupData{Email: r.PostFormValue("email"), Name: r.PostFormValue("name")}
	pw := keyway.Password(r.PostFormValue("password"))
	if id == "" {
		h.showSignup(w, r, http.StatusBadRequest, id, keyway.Invalid("This page needs the invitation link from your email."), d)
		return
	}
	if err := h.svc.Signup(r.Context(), &keyway.Signup{Email: d.Email, Name: d.Name, Password: pw, InvitationID: id}); err != nil {
		e := keyway.AsError(err)
		d.Registered = e.Code == keyway.CodeConflict && e.Message == "Email already registered"
		h.showSignup(w, r, status(err), id, err, d)
		return
	}
	tok, _, err := h.svc.StartSessionWithPassword(r.Context(), &keyway.Login{Email: d.Email, Password: pw})
	if err != nil {
		// Joined, but not signed in (the sign-in budget ran out, say):
		// the sign-in page takes it from here.
		http.Redirect(w, r, "/ui/signin", http.StatusSeeOther)
		return
	}
	h.startSession(w, r, tok)
}

// signinAndAccept is the invitee who already has a login: they sign in
// and the invitation is accepted in the same step. If it cannot be
// accepted the new session is ended again, so the step is all or nothing.
func (h *handler) signinAndAccept(w http.ResponseWriter, r *http.Request) {
	id := r.PostFormValue("invitationId")
	d := signupData{Email: r.PostFormValue("email")}
	tok, _, err := h.svc.StartSessionWithPassword(r.Context(), &keyway.Login{Email: d.Email, Password: keyway.Password(r.PostFormValue("password"))})
	if err != nil {
		h.showSignup(w, r, status(err), id, err, d)
		return
	}
	c, _, err := h.svc.SessionCaller(r.Context(), tok.Reveal())
	var inv *keyway.Invitation
	if err == nil {
		inv, err = h.svc.AcceptInvitation(r.Context(), c, id)
	}
	if err != nil {
		if eerr := h.svc.EndSession(r.Context(), tok.Reveal()); eerr != nil {
			h.log.Error("ui: end session after a refused acceptance", "err", eerr)
		}
		h.showSignup(w, r, status(err), id, err, d)
		return
	}
	http.SetCookie(w, h.cookie(accountCookie, inv.AccountID, 0))
	h.startSession(w, r, tok)
}

// unreadPage bounds the notifications the header's count reads: the
// newest this many; when they are all unread and there are more, the
// header says "50+".
const unreadPage = 50

// unread counts the person's unread notifications among the newest
// unreadPage, in one bounded call; more reports that there may be more.
// A failure only hides the count: it must not take every page down.
func (h *handler) unread(ctx context.Context, c *keyway.Caller) (n int, more bool) {
	first := ""
	ns, next, err := h.svc.Notifications(ctx, c, keyway.Page{Limit: unreadPage, Cursor: &first})
	if err != nil {
		h.log.Error("ui: count unread notifications", "err", err)
		return 0, false
	}
	for _, x := range ns {
		if x.ReadAt == nil {
			n++
		}
	}
	return n, n == unreadPage && next != ""
}

// notificationRow is a notification with the names of its account and
// project where the person sees them.
type notificationRow struct {
	*keyway.Notification
	Account string
}

// notificationsData is the notifications page.
type notificationsData struct {
	Items  []notificationRow
	Cursor string
	Next   string
}

// notificationsPageSize is how many notifications one page shows.
const notificationsPageSize = 50

func (h *handler) notificationsPage(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	cursor := r.URL.Query().Get("cursor")
	ns, next, err := h.svc.Notifications(r.Context(), v.Caller, keyway.Page{Limit: notificationsPageSize, Cursor: &cursor})
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	accounts := map[string]string{}
	for _, a := range v.Accounts {
		accounts[a.ID] = a.Name
	}
	d := notificationsData{Cursor: cursor}
	for _, n := range ns {
		d.Items = append(d.Items, notificationRow{Notification: n, Account: accounts[n.AccountID]})
	}
	if next != "" {
		d.Next = "/ui/notifications?" + url.Values{"cursor": {next}}.Encode()
	}
	h.render(w, r, http.StatusOK, "notifications", &page{Title: "Notifications", Data: d})
}

func (h *handler) markRead(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	if _, err := h.svc.MarkNotificationRead(r.Context(), v.Caller, r.PathValue("id")); err != nil {
		h.fail(w, r, v, err)
		return
	}
	to := "/ui/notifications"
	if c := r.PostFormValue("cursor"); c != "" {
		to += "?" + url.Values{"cursor": {c}}.Encode()
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}
