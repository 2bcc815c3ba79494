package api

import (
	"context"
	"encoding/json"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/service"
	"github.com/keywayhq/keyway/verify"
)

// LegacyAuthentication is the answer of POST /auth/authenticate.
type LegacyAuthentication struct {
	Authenticated   bool            `json:"authenticated"`
	CustomMetaData  json.RawMessage `json:"customMetaData"`
	CustomAccountID *string         `json:"customAccountId"`
	CustomUserID    *string         `json:"customUserId"`
}

// declare is the operation table in the order of docs/api.md. It depends
// on nothing: Declarations and Bind build on it.
func declare() []Operation {
	return []Operation{
		noInput(Operation{ID: "AppController_welcomeMessage", Method: "GET", Path: "/", Tools: []string{"list_all_the_auth_api_misc"}, Summary: "Service name and version", Public: true},
			func(_ context.Context, b Backend, _ *keyway.Caller) (service.Hello, error) {
				return b.Service.Hello(), nil
			}),

		// Access keys.
		op(Operation{ID: "AccessKeysController_listAccessKeys", Method: "GET", Path: "/access-keys", Tools: []string{"list_all_the_auth_api_access_keys"}, Summary: "List access keys of an account"},
			func(ctx context.Context, b Backend, c *keyway.Caller, in *listAccessKeysIn) (List[*keyway.AccessKey], error) {
				items, next, err := b.Service.ListAccessKeys(ctx, c, in.AccountID, in.ProjectID, in.IsActive, in.page())
				return List[*keyway.AccessKey]{Items: items, Next: next}, err
			}),
		op(Operation{ID: "AccessKeysController_generateAccessKey", Method: "POST", Path: "/access-keys", Tools: []string{"create_a_the_auth_api_access_key"}, Summary: "Create an access key"},
			func(ctx context.Context, b Backend, c *keyway.Caller, in *createAccessKeyIn) (*keyway.AccessKey, error) {
				return b.Service.CreateAccessKey(ctx, c, &in.Body)
			}),
		op(Operation{ID: "AccessKeysController_updateMeta", Method: "PATCH", Path: "/access-keys/{key}", Tools: []string{"update_a_the_auth_api_access_key_by_id"}, Summary: "Rename an access key"},
			func(ctx context.Context, b Backend, c *keyway.Caller, in *renameByKeyIn) (*keyway.AccessKey, error) {
				return b.Service.RenameAccessKey(ctx, c, in.Key, &in.Body)
			}),
		op(Operation{ID: "AccessKeysController_deactivateKey", Method: "DELETE", Path: "/access-keys/{key}", Tools: []string{"delete_a_the_auth_api_access_key_by_id"}, Summary: "Deactivate an access key (empty answer)"},
			func(ctx context.Context, b Backend, c *keyway.Caller, in *keyPath) (Empty, error) {
				return Empty{}, b.Service.DeactivateAccessKey(ctx, c, in.Key)
			}),
		op(Operation{ID: "AccessKeysController_reactivateKey", Method: "PATCH", Path: "/access-keys/{key}/reactivate", Tools: []string{"update_a_the_auth_api_access_key_reactivate_by_id"}, Summary: "Reactivate an access key"},
			func(ctx context.Context, b Backend, c *keyway.Caller, in *keyPath) (*keyway.AccessKey, error) {
				return b.Service.ReactivateAccessKey(ctx, c, in.Key)
			}),

		// Projects.
		op(Operation{ID: "projectsController_getProjects", Method: "GET", Path: "/projects", Tools: []string{"list_all_the_auth_api_projects"}, Summary: "List projects of an account"},
			func(ctx context.Context, b Backend, c *keyway.Caller, in *projectsQuery) (List[*keyway.Project], error) {
				items, next, err := b.Service.ListProjects(ctx, c, in.AccountID, in.page())
				return List[*keyway.Project]{Items: items, Next: next}, err
			}),
		op(Operation{ID: "projectsController_createProject", Method: "POST", Path: "/projects", Tools: []string{"create_a_the_auth_api_project"}, Summary: "Create a project"},
			func(ctx context.Context, b Backend, c *keyway.Caller, in *createProjectIn) (*keyway.Project, error) {
				return b.Service.CreateProject(ctx, c, &in.Body)
			}),
		op(Operation{ID: "projectsController_getSingleProject", Method: "GET", Path: "/projects/{id}", Tools: []string{"get_single_the_auth_api_project_by_id"}, Summary: "Get a project"},
			func(ctx context.Context, b Backend, c *keyway.Caller, in *idPath) (*keyway.Project, error) {
				return b.Service.GetProject(ctx, c, in.ID)
			}),
		op(Operation{ID: "projectsController_updateProjectMeta", Method: "PATCH", Path: "/projects/{id}", Tools: []string{"update_a_the_auth_api_project_by_id"}, Summary: "Rename a project"},
			func(ctx context.Context, b Backend, c *keyway.Caller, in *renameByIDIn) (*keyway.Project, error) {
				return b.Service.RenameProject(ctx, c, in.ID, &in.Body)
			}),
		op(Operation{ID: "projectsController_removeProject", Method: "DELETE", Path: "/projects/{id}", Tools: []string{"delete_a_the_auth_api_project_by_id"}, Summary: "Delete a project; its keys stop verifying"},
			func(ctx context.Context, b Backend, c *keyway.Caller, in *idPath) (*keyway.Project, error) {
				return b.Service.DeleteProject(ctx, c, in.ID)
			}),

		// Users and roles (issue: people).
		op(Operation{ID: "UserRolesController_getRolesForUser", Method: "GET", Path: "/user-roles", Tools: []string{"list_all_the_auth_api_user_roles"}, Summary: "The caller's roles"},
			func(ctx context.Context, b Backend, c *keyway.Caller, in *accountQuery) ([]keyway.UserRole, error) {
				return b.Service.CallerRoles(ctx, c, in.AccountID)
			}),
		op(Operation{ID: "UsersController_updateUserRole", Method: "PATCH", Path: "/users/{id}/roles", Tools: []string{"update_a_the_auth_api_user_role_by_id"}, Summary: "Set a member's role over the account or one project (admins; the account keeps an admin); answers the member's roles there"},
			func(ctx context.Context, b Backend, c *keyway.Caller, in *setRoleIn) ([]keyway.UserRole, error) {
				return b.Service.SetUserRole(ctx, c, in.ID, &in.Body)
			}),
		op(Operation{ID: "UsersController_deleteUserRole", Method: "DELETE", Path: "/users/{id}/roles", Tools: []string{"delete_a_the_auth_api_user_role_by_id"}, Summary: "Remove a member's role over one project, or without projectId from the account (admins); answers the member's remaining roles there"},
			func(ctx context.Context, b Backend, c *keyway.Caller, in *removeRoleIn) ([]keyway.UserRole, error) {
				return b.Service.RemoveUserRoles(ctx, c, in.ID, in.AccountID, in.ProjectID)
			}),

		// Webhooks.
		op(Operation{ID: "WebHookController_fetchWebHooks", Method: "GET", Path: "/webhooks", Tools: []string{"list_all_the_auth_api_webhooks"}, Summary: "List webhooks"},
			func(ctx context.Context, b Backend, c *keyway.Caller, in *listWebhooksIn) (List[*keyway.Webhook], error) {
				items, next, err := b.Service.ListWebhooks(ctx, c, in.AccountID, in.ProjectID, in.Topic, in.page())
				return List[*keyway.Webhook]{Items: items, Next: next}, err
			}),
		op(Operation{ID: "WebHookController_createNewWebHook", Method: "POST", Path: "/webhooks", Tools: []string{"create_a_the_auth_api_webhook"}, Summary: "Create a webhook (the answer holds its signing secret)"},
			func(ctx context.Context, b Backend, c *keyway.Caller, in *createWebhookIn) (*keyway.Webhook, error) {
				return b.Service.CreateWebhook(ctx, c, &in.Body)
			}),
		op(Operation{ID: "WebHookController_fetchWebHookById", Method: "GET", Path: "/webhooks/{id}", Tools: []string{"get_single_the_auth_api_webhook_by_id"}, Summary: "Get a webhook"},
			func(ctx context.Context, b Backend, c *keyway.Caller, in *idPath) (*keyway.Webhook, error) {
				return b.Service.GetWebhook(ctx, c, in.ID)
			}),
		op(Operation{ID: "WebHookController_updateWebHook", Method: "PATCH", Path: "/webhooks/{id}", Tools: []string{"update_a_the_auth_api_webhook_by_id"}, Summary: "Update a webhook"},
			func(ctx context.Context, b Backend, c *keyway.Caller, in *updateWebhookIn) (*keyway.Webhook, error) {
				return b.Service.UpdateWebhook(ctx, c, in.ID, &in.Body)
			}),
		op(Operation{ID: "WebHookController_deleteWebHook", Method: "DELETE", Path: "/webhooks/{id}", Tools: []string{"delete_a_the_auth_api_webhook_by_id"}, Summary: "Delete a webhook"},
			func(ctx context.Context, b Backend, c *keyway.Caller, in *idPath) (bool, error) {
				return b.Service.DeleteWebhook(ctx, c, in.ID)
			}),
		op(Operation{ID: "WebHookController_testWebhook", Method: "POST", Path: "/webhooks/ping", Tools: []string{"create_a_the_auth_api_webhooks_ping"}, Summary: "Send one test request now", Status: 200},
			func(ctx context.Context, b Backend, c *keyway.Caller, in *pingWebhookIn) (keyway.PingResult, error) {
				return b.Service.PingWebhook(ctx, c, &in.Body)
			}),
		noInput(Operation{ID: "WebHookController_fetchTopics", Method: "GET", Path: "/webhooks/topics", Tools: []string{"list_all_the_auth_api_webhooks_topics"}, Summary: "Webhook topics"},
			func(context.Context, Backend, *keyway.Caller) ([]string, error) { return keyway.Topics, nil }),
		op(Operation{ID: "WebhookDeliveries_list", Method: "GET", Path: "/webhooks/{id}/deliveries", Summary: "A webhook's deliveries and their attempts' outcome, newest first (Keyway only)"},
			func(ctx context.Context, b Backend, c *keyway.Caller, in *webhookDeliveriesIn) (List[*keyway.Delivery], error) {
				items, next, err := b.Service.WebhookDeliveries(ctx, c, in.ID, in.page())
				return List[*keyway.Delivery]{Items: items, Next: next}, err
			}),
		op(Operation{ID: "WebhookDeliveries_retry", Method: "POST", Path: "/webhooks/{id}/deliveries/{deliveryId}/retry", Summary: "Send a delivery again now (Keyway only)"},
			func(ctx context.Context, b Backend, c *keyway.Caller, in *retryDeliveryIn) (*keyway.Delivery, error) {
				return b.Service.RetryDelivery(ctx, c, in.ID, in.DeliveryID)
			}),

		// Accounts.
		noInput(Operation{ID: "accountsController_getAccountsByUser", Method: "GET", Path: "/accounts", Tools: []string{"list_all_the_auth_api_accounts"}, Summary: "The caller's accounts"},
			func(ctx context.Context, b Backend, c *keyway.Caller) ([]*keyway.Account, error) {
				return b.Service.ListAccounts(ctx, c)
			}),
		op(Operation{ID: "accountsController_createAccount", Method: "POST", Path: "/accounts", Tools: []string{"create_a_the_auth_api_account"}, Summary: "Create an account (signed-in users only)"},
			func(ctx context.Context, b Backend, c *keyway.Caller, in *createAccountIn) (*keyway.Account, error) {
				return b.Service.CreateAccount(ctx, c, &in.Body)
			}),
		op(Operation{ID: "accountsController_getSingleAccount", Method: "GET", Path: "/accounts/{id}", Tools: []string{"get_single_the_auth_api_account_by_id"}, Summary: "Get an account"},
			func(ctx context.Context, b Backend, c *keyway.Caller, in *idPath) (*keyway.Account, error) {
				return b.Service.GetAccount(ctx, c, in.ID)
			}),
		op(Operation{ID: "accountsController_updateAccountMeta", Method: "PATCH", Path: "/accounts/{id}", Tools: []string{"update_a_the_auth_api_account_by_id"}, Summary: "Rename an account"},
			func(ctx context.Context, b Backend, c *keyway.Caller, in *renameByIDIn) (*keyway.Account, error) {
				return b.Service.RenameAccount(ctx, c, in.ID, &in.Body)
			}),
		op(Operation{ID: "accountsController_removeAccount", Method: "DELETE", Path: "/accounts/{id}", Tools: []string{"delete_a_the_auth_api_account_by_id"}, Summary: "Delete an account; everything under it stops authenticating"},
			func(ctx context.Context, b Backend, c *keyway.Caller, in *idPath) (*keyway.Account, error) {
				return b.Service.DeleteAccount(ctx, c, in.ID)
			}),
		op(Operation{ID: "accountsController_addUserToAccount", Method: "POST", Path: "/accounts/{id}/users", Tools: []string{"create_a_the_auth_api_account_user"}, Summary: "Invite a person by email to the account with role user (empty answer)"},
			func(ctx context.Context, b Backend, c *keyway.Caller, in *inviteToAccountIn) (Empty, error) {
				return Empty{}, b.Service.InviteToAccount(ctx, c, in.ID, &in.Body)
			}),

		// Authentication of people (issue: people).
		op(Operation{ID: "AuthController_registerUser", Method: "POST", Path: "/auth/signup", Tools: []string{"create_a_the_auth_api_auth_signup"}, Summary: "Sign up (empty answer); without an invitation the user gets an account of their own", Public: true},
			func(ctx context.Context, b Backend, _ *keyway.Caller, in *signupIn) (Empty, error) {
				return Empty{}, b.Service.Signup(ctx, &in.Body)
			}),
		op(Operation{ID: "AuthController_registerUserViaFireBase", Method: "POST", Path: "/auth/add-user-from-firebase", Tools: []string{"create_a_the_auth_api_auth_add_user_from_firebase"}, Summary: "Sign up or sign in with a verified Firebase ID token: tokens, as a login gives", Public: true},
			func(ctx context.Context, b Backend, _ *keyway.Caller, in *firebaseIn) (keyway.Tokens, error) {
				return b.Service.FirebaseSignIn(ctx, &in.Body)
			}),
		op(Operation{ID: "AuthController_loginUser", Method: "POST", Path: "/auth/login", Tools: []string{"create_a_the_auth_api_auth_login"}, Summary: "Log in: an access token and a refresh token", Public: true},
			func(ctx context.Context, b Backend, _ *keyway.Caller, in *loginIn) (keyway.Tokens, error) {
				return b.Service.Login(ctx, &in.Body)
			}),
		op(Operation{ID: "AuthController_emailOtc", Method: "POST", Path: "/auth/email-otc", Tools: []string{"create_a_the_auth_api_auth_email_otc"}, Summary: "Email a one-time sign-in code (empty answer, whether or not the email is known)", Public: true},
			func(ctx context.Context, b Backend, _ *keyway.Caller, in *emailOTCIn) (Empty, error) {
				return Empty{}, b.Service.EmailLoginCode(ctx, &in.Body)
			}),
		op(Operation{ID: "AuthController_validateOneTimeCode", Method: "POST", Path: "/auth/validate-login-code", Tools: []string{"create_a_the_auth_api_auth_validate_login_code"}, Summary: "Log in with a one-time code: tokens, as a login gives", Public: true},
			func(ctx context.Context, b Backend, _ *keyway.Caller, in *loginCodeIn) (keyway.Tokens, error) {
				return b.Service.ValidateLoginCode(ctx, &in.Body)
			}),
		op(Operation{ID: "AuthController_refreshAccessToken", Method: "POST", Path: "/auth/refresh-access-token", Tools: []string{"create_a_the_auth_api_auth_refresh_access_token"}, Summary: "Spend a refresh token for a new pair (a replayed one revokes its login)", Public: true},
			func(ctx context.Context, b Backend, _ *keyway.Caller, in *refreshIn) (keyway.Tokens, error) {
				return b.Service.RefreshTokens(ctx, &in.Body)
			}),
		// Keyway only, and not MCP tools: a person who forgot their
		// password asks for a code by email and spends it on a new one.
		op(Operation{ID: "Auth_forgotPassword", Method: "POST", Path: "/auth/forgot-password", Summary: "Email a one-time code that resets the password (empty answer, whether or not the email is known; Keyway only)", Public: true},
			func(ctx context.Context, b Backend, _ *keyway.Caller, in *emailOTCIn) (Empty, error) {
				return Empty{}, b.Service.RequestPasswordReset(ctx, &in.Body)
			}),
		op(Operation{ID: "Auth_resetPassword", Method: "POST", Path: "/auth/reset-password", Summary: "Set a new password with a code from /auth/forgot-password; every sign-in of the person ends (empty answer; Keyway only)", Public: true},
			func(ctx context.Context, b Backend, _ *keyway.Caller, in *resetPasswordIn) (Empty, error) {
				return Empty{}, b.Service.ResetPassword(ctx, &in.Body)
			}),
		op(Operation{ID: "AuthController_legacyAuthenticate", Method: "POST", Path: "/auth/authenticate", Tools: []string{"create_a_the_auth_api_auth_authenticate"}, Summary: "Legacy key check", Verification: true},
			func(ctx context.Context, b Backend, c *keyway.Caller, in *legacyAuthenticateIn) (Verified[LegacyAuthentication], error) {
				r, err := b.Verifier.Verify(ctx, c, in.Body.Credentials.APIKey, "")
				if err != nil {
					return Verified[LegacyAuthentication]{}, err
				}
				out := Verified[LegacyAuthentication]{Result: r}
				if r.Outcome == verify.Valid {
					k, err := r.APIKey()
					if err != nil {
						return out, keyway.Internal(err)
					}
					out.Value = LegacyAuthentication{Authenticated: true, CustomMetaData: k.CustomMetaData, CustomAccountID: k.CustomAccountID, CustomUserID: k.CustomUserID}
				}
				return out, nil
			}),
		op(Operation{ID: "UsersController_updateUser", Method: "PATCH", Path: "/users/{id}", Tools: []string{"update_a_the_auth_api_user_by_id"}, Summary: "Rename a user: yourself, or a member of an account you administer"},
			func(ctx context.Context, b Backend, c *keyway.Caller, in *renameByIDIn) (*keyway.User, error) {
				return b.Service.RenameUser(ctx, c, in.ID, &in.Body)
			}),

		// API keys.
		op(Operation{ID: "ApiKeyController_listClientKeys", Method: "GET", Path: "/api-keys", Tools: []string{"list_all_the_auth_api_api_keys"}, Summary: "List API keys of a project, newest first"},
			func(ctx context.Context, b Backend, c *keyway.Caller, in *listAPIKeysIn) (List[*keyway.APIKey], error) {
				items, next, err := b.Service.ListAPIKeys(ctx, c, service.ListAPIKeysQuery{
					ProjectID: in.ProjectID, Name: in.Name, CustomAccountID: in.CustomAccountID,
					CustomUserID: in.CustomUserID, IsActive: in.IsActive, Page: in.page(),
				})
				return List[*keyway.APIKey]{Items: items, Next: next}, err
			}),
		op(Operation{ID: "ApiKeyController_generateClientKey", Method: "POST", Path: "/api-keys", Tools: []string{"create_a_the_auth_api_api_key"}, Summary: "Create an API key"},
			func(ctx context.Context, b Backend, c *keyway.Caller, in *createAPIKeyIn) (*keyway.APIKey, error) {
				return b.Service.CreateAPIKey(ctx, c, &in.Body)
			}),
		op(Operation{ID: "ApiKeyController_getKey", Method: "GET", Path: "/api-keys/{key}", Tools: []string{"the_auth_api_api_keys_list_2", "get_single_the_auth_api_api_key_by_id"}, Summary: "Read an API key without using it"},
			func(ctx context.Context, b Backend, c *keyway.Caller, in *keyPath) (*keyway.APIKey, error) {
				return b.Service.GetAPIKey(ctx, c, in.Key)
			}),
		op(Operation{ID: "ApiKeyController_updateMeta", Method: "PATCH", Path: "/api-keys/{key}", Tools: []string{"update_a_the_auth_api_api_key_by_id"}, Summary: "Update an API key; null clears a field"},
			func(ctx context.Context, b Backend, c *keyway.Caller, in *updateAPIKeyIn) (*keyway.APIKey, error) {
				return b.Service.UpdateAPIKey(ctx, c, in.Key, &in.Body)
			}),
		op(Operation{ID: "ApiKeyController_deactivateKey", Method: "DELETE", Path: "/api-keys/{key}", Tools: []string{"delete_a_the_auth_api_api_key_by_id"}, Summary: "Revoke an API key"},
			func(ctx context.Context, b Backend, c *keyway.Caller, in *keyPath) (bool, error) {
				return b.Service.DeleteAPIKey(ctx, c, in.Key)
			}),
		verification(Operation{ID: "ApiKeyController_authenticateKeyLegacy", Method: "GET", Path: "/api-keys/auth/{key}", Tools: []string{"list_all_the_auth_api_api_keys_auths", "get_single_the_auth_api_api_keys_auth_by_id"}, Summary: "Verify an API key (legacy)", Verification: true}),
		verification(Operation{ID: "ApiKeyController_authenticateKey", Method: "POST", Path: "/api-keys/auth/{key}", Tools: []string{"create_a_the_auth_api_api_keys_auth"}, Summary: "Verify an API key", Status: 200, Verification: true}),
		op(Operation{ID: "ApiKeyController_reactivateKey", Method: "PATCH", Path: "/api-keys/{key}/reactivate", Tools: []string{"update_a_the_auth_api_api_key_reactivate_by_id"}, Summary: "Reactivate a revoked or expired API key"},
			func(ctx context.Context, b Backend, c *keyway.Caller, in *reactivateAPIKeyIn) (*keyway.APIKey, error) {
				return b.Service.ReactivateAPIKey(ctx, c, in.Key, &in.Body)
			}),
		op(Operation{ID: "ApiKeyController_rotateKey", Method: "POST", Path: "/api-keys/{key}/rotate", Tools: []string{"create_a_the_auth_api_api_key_rotate"}, Summary: "Replace an API key's string, keeping its settings"},
			func(ctx context.Context, b Backend, c *keyway.Caller, in *keyPath) (*keyway.APIKey, error) {
				return b.Service.RotateAPIKey(ctx, c, in.Key)
			}),

		// Analytics (issue: usage analytics).
		op(Operation{ID: "AnalyticsController_getProjectTotals", Method: "GET", Path: "/analytics/project-totals", Tools: []string{"list_all_the_auth_api_analytics_project_totals"}, Summary: "Verification totals of a project per period (UTC; buckets starting in [from, to))"},
			func(ctx context.Context, b Backend, c *keyway.Caller, in *analyticsQuery) (*keyway.ProjectTotals, error) {
				return b.Service.ProjectTotals(ctx, c, in.query())
			}),
		op(Operation{ID: "AnalyticsController_getApiKeyTotals", Method: "GET", Path: "/analytics/api-key-totals", Tools: []string{"list_all_the_auth_api_analytics_api_key_totals"}, Summary: "Verification totals per API key with usage in the window, most used first (revoked keys included)"},
			func(ctx context.Context, b Backend, c *keyway.Caller, in *analyticsPageQuery) (Paged[*keyway.APIKeyTotals], error) {
				out, next, err := b.Service.APIKeyTotals(ctx, c, in.query())
				return Paged[*keyway.APIKeyTotals]{Value: out, Next: next}, err
			}),
		op(Operation{ID: "Analytics_export", Method: "GET", Path: "/analytics/export", Summary: "Usage as CSV, one row per key and period, for billing (Keyway only)"},
			func(ctx context.Context, b Backend, c *keyway.Caller, in *analyticsQuery) (CSV, error) {
				rows, err := b.Service.ExportUsage(ctx, c, in.query())
				return CSV{Header: service.ExportHeader, Rows: rows}, err
			}),
		op(Operation{ID: "NotifyController_welcomeMessage", Method: "GET", Path: "/notifications", Tools: []string{"list_all_the_auth_api_notifications"}, Summary: "The caller's account's notifications, newest first"},
			func(ctx context.Context, b Backend, c *keyway.Caller, in *pageQuery) (List[*keyway.Notification], error) {
				items, next, err := b.Service.Notifications(ctx, c, in.page())
				return List[*keyway.Notification]{Items: items, Next: next}, err
			}),
		op(Operation{ID: "Notifications_markRead", Method: "PATCH", Path: "/notifications/{id}", Summary: "Mark a notification read (Keyway only)"},
			func(ctx context.Context, b Backend, c *keyway.Caller, in *idPath) (*keyway.Notification, error) {
				return b.Service.MarkNotificationRead(ctx, c, in.ID)
			}),

		// MCP servers: tokens for AI agents (Keyway only; not tools).
		op(Operation{ID: "MCPServers_list", Method: "GET", Path: "/mcp-servers", Summary: "List an account's MCP servers, without their tokens (admins)"},
			func(ctx context.Context, b Backend, c *keyway.Caller, in *accountQuery) (List[*keyway.MCPServer], error) {
				items, next, err := b.Service.ListMCPServers(ctx, c, in.AccountID, in.page())
				return List[*keyway.MCPServer]{Items: items, Next: next}, err
			}),
		op(Operation{ID: "MCPServers_create", Method: "POST", Path: "/mcp-servers", Summary: "Create an MCP server: the answer holds its token (shown once) and the url to give an agent (admins)"},
			func(ctx context.Context, b Backend, c *keyway.Caller, in *createMCPServerIn) (*keyway.MCPServer, error) {
				return b.Service.CreateMCPServer(ctx, c, &in.Body)
			}),
		op(Operation{ID: "MCPServers_get", Method: "GET", Path: "/mcp-servers/{id}", Summary: "Get an MCP server, without its token (admins)"},
			func(ctx context.Context, b Backend, c *keyway.Caller, in *idPath) (*keyway.MCPServer, error) {
				return b.Service.GetMCPServer(ctx, c, in.ID)
			}),
		op(Operation{ID: "MCPServers_update", Method: "PATCH", Path: "/mcp-servers/{id}", Summary: "Rename an MCP server, change its tools or expiry (admins)"},
			func(ctx context.Context, b Backend, c *keyway.Caller, in *updateMCPServerIn) (*keyway.MCPServer, error) {
				return b.Service.UpdateMCPServer(ctx, c, in.ID, &in.Body)
			}),
		op(Operation{ID: "MCPServers_revoke", Method: "DELETE", Path: "/mcp-servers/{id}", Summary: "Revoke an MCP server: its token stops working at once (admins)"},
			func(ctx context.Context, b Backend, c *keyway.Caller, in *idPath) (*keyway.MCPServer, error) {
				return b.Service.RevokeMCPServer(ctx, c, in.ID)
			}),

		// Invitations and teammates (issue: people).
		op(Operation{ID: "InvitationsController_getInvitations", Method: "GET", Path: "/invitations", Tools: []string{"list_all_the_auth_api_invitations"}, Summary: "List an account's invitations, newest first (admins)"},
			func(ctx context.Context, b Backend, c *keyway.Caller, in *listInvitationsIn) (List[*keyway.Invitation], error) {
				items, next, err := b.Service.ListInvitations(ctx, c, in.AccountID, in.ProjectID, in.Status, in.page())
				return List[*keyway.Invitation]{Items: items, Next: next}, err
			}),
		op(Operation{ID: "InvitationsController_addInvitation", Method: "POST", Path: "/invitations", Tools: []string{"create_a_the_auth_api_invitation"}, Summary: "Invite people by email (admins); each gets a link"},
			func(ctx context.Context, b Backend, c *keyway.Caller, in *createInvitationsIn) ([]*keyway.Invitation, error) {
				return b.Service.CreateInvitations(ctx, c, &in.Body)
			}),
		op(Operation{ID: "InvitationsController_getInvitation", Method: "GET", Path: "/invitations/{id}", Tools: []string{"get_single_the_auth_api_invitation_by_id"}, Summary: "Get an invitation (admins)"},
			func(ctx context.Context, b Backend, c *keyway.Caller, in *idPath) (*keyway.Invitation, error) {
				return b.Service.GetInvitation(ctx, c, in.ID)
			}),
		op(Operation{ID: "InvitationsController_updateInvitation", Method: "PATCH", Path: "/invitations/{id}", Tools: []string{"update_a_the_auth_api_invitation_by_id"}, Summary: "Change the role a pending invitation offers (admins)"},
			func(ctx context.Context, b Backend, c *keyway.Caller, in *updateInvitationIn) (*keyway.Invitation, error) {
				return b.Service.UpdateInvitation(ctx, c, in.ID, &in.Body)
			}),
		op(Operation{ID: "InvitationsController_cancelInvitation", Method: "DELETE", Path: "/invitations/{id}", Tools: []string{"delete_a_the_auth_api_invitation_by_id"}, Summary: "Cancel a pending invitation (admins)"},
			func(ctx context.Context, b Backend, c *keyway.Caller, in *idPath) (*keyway.Invitation, error) {
				return b.Service.CancelInvitation(ctx, c, in.ID)
			}),
		op(Operation{ID: "InvitationsController_acceptInvitation", Method: "POST", Path: "/invitations/{id}/accept", Tools: []string{"create_a_the_auth_api_invitation_accept"}, Summary: "Accept an invitation sent to your email"},
			func(ctx context.Context, b Backend, c *keyway.Caller, in *idPath) (*keyway.Invitation, error) {
				return b.Service.AcceptInvitation(ctx, c, in.ID)
			}),
		op(Operation{ID: "InvitationsController_getInvitationInfo", Method: "GET", Path: "/invitations/{id}/info", Tools: []string{"list_all_the_auth_api_invitation_info"}, Summary: "Public facts of an invitation, for whoever holds its link", Public: true},
			func(ctx context.Context, b Backend, _ *keyway.Caller, in *idPath) (*keyway.InvitationInfo, error) {
				return b.Service.InvitationInfo(ctx, in.ID)
			}),
		op(Operation{ID: "TeammatesController_getAllTeammates", Method: "GET", Path: "/teammates", Tools: []string{"list_all_the_auth_api_teammates"}, Summary: "Who holds roles in an account, or over one project"},
			func(ctx context.Context, b Backend, c *keyway.Caller, in *teammatesIn) ([]keyway.Teammate, error) {
				return b.Service.Teammates(ctx, c, in.AccountID, in.ProjectID)
			}),
	}
}

type analyticsQuery struct {
	ProjectID    string `query:"projectId" required:"true"`
	DateGrouping string `query:"dateGrouping" required:"true" enum:"hour,day,week,month" doc:"hour, day, week (ISO, from Monday) or month"`
	From         string `query:"from" doc:"ISO 8601; default: the start of the day 30 days before to"`
	To           string `query:"to" doc:"ISO 8601; default: now; at most 400 days after from"`
}

func (q analyticsQuery) query() service.AnalyticsQuery {
	return service.AnalyticsQuery{ProjectID: q.ProjectID, DateGrouping: q.DateGrouping, From: q.From, To: q.To}
}

type analyticsPageQuery struct {
	analyticsQuery
	pageQuery
}

func (q analyticsPageQuery) query() service.AnalyticsQuery {
	out := q.analyticsQuery.query()
	out.Page = q.page()
	return out
}
