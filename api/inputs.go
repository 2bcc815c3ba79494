package api

import (
	"github.com/keywayhq/keyway"
)

// These structs bind one operation's path, query, header and body. The tags
// are read by the transports and by the OpenAPI generator.

type keyPath struct {
	Key string `path:"key"`
}

type idPath struct {
	ID string `path:"id"`
}

type pageQuery struct {
	Limit  int `query:"limit" doc:"page size, at most 1000"`
	Offset int `query:"offset"`
	// An empty cursor= asks for the first page of cursor pagination, so the
	// parameter counts as given even when empty.
	Cursor *string `query:"cursor" empty:"keep" doc:"opaque cursor, empty for the first page; the next one comes back in x-next-cursor"`
}

func (q pageQuery) page() keyway.Page {
	return keyway.Page{Limit: q.Limit, Offset: q.Offset, Cursor: q.Cursor}
}

type listAPIKeysIn struct {
	ProjectID       string                  `query:"projectId"`
	Name            *string                 `query:"name"`
	CustomAccountID keyway.Optional[string] `query:"customAccountId" doc:"the literal null matches keys without one"`
	CustomUserID    keyway.Optional[string] `query:"customUserId" doc:"the literal null matches keys without one"`
	IsActive        *bool                   `query:"isActive" doc:"defaults to true"`
	pageQuery
}

type createAPIKeyIn struct {
	Body keyway.APIKeyCreate `body:"true"`
}

type updateAPIKeyIn struct {
	Key  string              `path:"key"`
	Body keyway.APIKeyUpdate `body:"true"`
}

type reactivateAPIKeyIn struct {
	Key  string                  `path:"key"`
	Body keyway.APIKeyReactivate `body:"true"`
}

type verifyIn struct {
	Key    string `path:"key"`
	Origin string `header:"x-origin-domain"`
}

// legacyAuthenticateBody is the body the SDK's authenticateAPIKey sends.
type legacyAuthenticateBody struct {
	Credentials struct {
		APIKey string `json:"api_key"`
	} `json:"credentials"`
}

type legacyAuthenticateIn struct {
	Body legacyAuthenticateBody `body:"true"`
}

type projectsQuery struct {
	AccountID string `query:"accountId" required:"true"`
	pageQuery
}

type accountQuery struct {
	AccountID string `query:"accountId"`
	pageQuery
}

type listAccessKeysIn struct {
	AccountID string `query:"accountId" required:"true"`
	ProjectID string `query:"projectId"`
	IsActive  *bool  `query:"isActive"`
	pageQuery
}

type createAccessKeyIn struct {
	Body keyway.AccessKeyCreate `body:"true"`
}

type renameByKeyIn struct {
	Key  string        `path:"key"`
	Body keyway.Rename `body:"true"`
}

type renameByIDIn struct {
	ID   string        `path:"id"`
	Body keyway.Rename `body:"true"`
}

type createProjectIn struct {
	Body keyway.ProjectCreate `body:"true"`
}

type createAccountIn struct {
	Body keyway.Rename `body:"true"`
}

type listWebhooksIn struct {
	AccountID string `query:"accountId"`
	ProjectID string `query:"projectId"`
	Topic     string `query:"topic"`
	pageQuery
}

type createWebhookIn struct {
	Body keyway.WebhookCreate `body:"true"`
}

type updateWebhookIn struct {
	ID   string               `path:"id"`
	Body keyway.WebhookUpdate `body:"true"`
}

type pingWebhookIn struct {
	Body keyway.WebhookPing `body:"true"`
}

type webhookDeliveriesIn struct {
	ID string `path:"id"`
	pageQuery
}

type retryDeliveryIn struct {
	ID         string `path:"id"`
	DeliveryID string `path:"deliveryId"`
}

type signupIn struct {
	Body keyway.Signup `body:"true"`
}

type loginIn struct {
	Body keyway.Login `body:"true"`
}

type refreshIn struct {
	Body keyway.TokenRefresh `body:"true"`
}

type setRoleIn struct {
	ID   string            `path:"id"`
	Body keyway.RoleChange `body:"true"`
}

type removeRoleIn struct {
	ID        string `path:"id"`
	AccountID string `query:"accountId"`
	// A blank projectId= is refused, not read as absent, which would take
	// the member out of the whole account.
	ProjectID *string `query:"projectId" empty:"keep" doc:"absent removes every role in the account"`
}

type inviteToAccountIn struct {
	ID   string               `path:"id"`
	Body keyway.AccountInvite `body:"true"`
}

type firebaseIn struct {
	Body keyway.FirebaseSignup `body:"true"`
}

type emailOTCIn struct {
	Body keyway.EmailOTC `body:"true"`
}

type loginCodeIn struct {
	Body keyway.LoginCode `body:"true"`
}

type resetPasswordIn struct {
	Body keyway.PasswordReset `body:"true"`
}

type listInvitationsIn struct {
	AccountID string `query:"accountId"`
	ProjectID string `query:"projectId"`
	Status    string `query:"status" enum:"pending,accepted,cancelled,expired"`
	pageQuery
}

type createInvitationsIn struct {
	Body keyway.InvitationCreate `body:"true"`
}

type updateInvitationIn struct {
	ID   string                  `path:"id"`
	Body keyway.InvitationUpdate `body:"true"`
}

type teammatesIn struct {
	AccountID string `query:"accountId"`
	ProjectID string `query:"projectId"`
}

type createMCPServerIn struct {
	Body keyway.MCPServerCreate `body:"true"`
}

type updateMCPServerIn struct {
	ID   string                 `path:"id"`
	Body keyway.MCPServerUpdate `body:"true"`
}
