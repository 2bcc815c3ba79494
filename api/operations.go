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

// Verified is what verification operations return: the verifier's
// verdict, and what to answer when the key is valid. Transports turn a
// negative verdict into its error (Result.Err) and add the rate-limit state.
type Verified struct {
	Result  verify.Result
	Success any
}

// Operations returns the operation table in the order of docs/api.md.
func Operations(svc *service.Service, v *verify.Verifier) []Operation {
	verifyKey := func(ctx context.Context, c *keyway.Caller, in *verifyIn) (any, error) {
		r, err := v.Verify(ctx, c, in.Key, in.Origin)
		if err != nil {
			return nil, err
		}
		return Verified{Result: r, Success: json.RawMessage(r.Answer())}, nil
	}
	return []Operation{
		noInput(Operation{ID: "AppController_welcomeMessage", Method: "GET", Path: "/", Tools: []string{"list_all_the_auth_api_misc"}, Summary: "Service name and version", Public: true, Output: outputOf[service.Hello]()},
			func(context.Context, *keyway.Caller) (any, error) { return svc.Hello(), nil }),

		// Access keys.
		op(Operation{ID: "AccessKeysController_listAccessKeys", Method: "GET", Path: "/access-keys", Tools: []string{"list_all_the_auth_api_access_keys"}, Summary: "List access keys of an account", Output: outputOf[[]keyway.AccessKey]()},
			func(ctx context.Context, c *keyway.Caller, in *listAccessKeysIn) (any, error) {
				items, next, err := svc.ListAccessKeys(ctx, c, in.AccountID, in.ProjectID, in.IsActive, in.page())
				return List{Items: items, Next: next}, err
			}),
		op(Operation{ID: "AccessKeysController_generateAccessKey", Method: "POST", Path: "/access-keys", Tools: []string{"create_a_the_auth_api_access_key"}, Summary: "Create an access key", Output: outputOf[keyway.AccessKey]()},
			func(ctx context.Context, c *keyway.Caller, in *createAccessKeyIn) (any, error) {
				return svc.CreateAccessKey(ctx, c, &in.Body)
			}),
		op(Operation{ID: "AccessKeysController_updateMeta", Method: "PATCH", Path: "/access-keys/{key}", Tools: []string{"update_a_the_auth_api_access_key_by_id"}, Summary: "Rename an access key", Output: outputOf[keyway.AccessKey]()},
			func(ctx context.Context, c *keyway.Caller, in *renameByKeyIn) (any, error) {
				return svc.RenameAccessKey(ctx, c, in.Key, &in.Body)
			}),
		op(Operation{ID: "AccessKeysController_deactivateKey", Method: "DELETE", Path: "/access-keys/{key}", Tools: []string{"delete_a_the_auth_api_access_key_by_id"}, Summary: "Deactivate an access key (empty answer)", Output: outputOf[Empty]()},
			func(ctx context.Context, c *keyway.Caller, in *keyPath) (any, error) {
				return Empty{}, svc.DeactivateAccessKey(ctx, c, in.Key)
			}),
		op(Operation{ID: "AccessKeysController_reactivateKey", Method: "PATCH", Path: "/access-keys/{key}/reactivate", Tools: []string{"update_a_the_auth_api_access_key_reactivate_by_id"}, Summary: "Reactivate an access key", Output: outputOf[keyway.AccessKey]()},
			func(ctx context.Context, c *keyway.Caller, in *keyPath) (any, error) {
				return svc.ReactivateAccessKey(ctx, c, in.Key)
			}),

		// Projects.
		op(Operation{ID: "projectsController_getProjects", Method: "GET", Path: "/projects", Tools: []string{"list_all_the_auth_api_projects"}, Summary: "List projects of an account", Output: outputOf[[]keyway.Project]()},
			func(ctx context.Context, c *keyway.Caller, in *projectsQuery) (any, error) {
				items, next, err := svc.ListProjects(ctx, c, in.AccountID, in.page())
				return List{Items: items, Next: next}, err
			}),
		op(Operation{ID: "projectsController_createProject", Method: "POST", Path: "/projects", Tools: []string{"create_a_the_auth_api_project"}, Summary: "Create a project", Output: outputOf[keyway.Project]()},
			func(ctx context.Context, c *keyway.Caller, in *createProjectIn) (any, error) {
				return svc.CreateProject(ctx, c, &in.Body)
			}),
		op(Operation{ID: "projectsController_getSingleProject", Method: "GET", Path: "/projects/{id}", Tools: []string{"get_single_the_auth_api_project_by_id"}, Summary: "Get a project", Output: outputOf[keyway.Project]()},
			func(ctx context.Context, c *keyway.Caller, in *idPath) (any, error) {
				return svc.GetProject(ctx, c, in.ID)
			}),
		op(Operation{ID: "projectsController_updateProjectMeta", Method: "PATCH", Path: "/projects/{id}", Tools: []string{"update_a_the_auth_api_project_by_id"}, Summary: "Rename a project", Output: outputOf[keyway.Project]()},
			func(ctx context.Context, c *keyway.Caller, in *renameByIDIn) (any, error) {
				return svc.RenameProject(ctx, c, in.ID, &in.Body)
			}),
		op(Operation{ID: "projectsController_removeProject", Method: "DELETE", Path: "/projects/{id}", Tools: []string{"delete_a_the_auth_api_project_by_id"}, Summary: "Delete a project; its keys stop verifying", Output: outputOf[keyway.Project]()},
			func(ctx context.Context, c *keyway.Caller, in *idPath) (any, error) {
				return svc.DeleteProject(ctx, c, in.ID)
			}),

		// Users and roles (issue: people).
		op(Operation{ID: "UserRolesController_getRolesForUser", Method: "GET", Path: "/user-roles", Tools: []string{"list_all_the_auth_api_user_roles"}, Summary: "The caller's roles", Output: outputOf[[]keyway.UserRole]()},
			func(ctx context.Context, c *keyway.Caller, in *accountQuery) (any, error) {
				return svc.CallerRoles(ctx, c, in.AccountID)
			}),
		op(Operation{ID: "UsersController_updateUserRole", Method: "PATCH", Path: "/users/{id}/roles", Tools: []string{"update_a_the_auth_api_user_role_by_id"}, Summary: "Set a member's role over the account or one project (admins; the account keeps an admin); answers the member's roles there", Output: outputOf[[]keyway.UserRole]()},
			func(ctx context.Context, c *keyway.Caller, in *setRoleIn) (any, error) {
				return svc.SetUserRole(ctx, c, in.ID, &in.Body)
			}),
		op(Operation{ID: "UsersController_deleteUserRole", Method: "DELETE", Path: "/users/{id}/roles", Tools: []string{"delete_a_the_auth_api_user_role_by_id"}, Summary: "Remove a member's role over one project, or without projectId from the account (admins); answers the member's remaining roles there", Output: outputOf[[]keyway.UserRole]()},
			func(ctx context.Context, c *keyway.Caller, in *removeRoleIn) (any, error) {
				return svc.RemoveUserRoles(ctx, c, in.ID, in.AccountID, in.ProjectID)
			}),

		// Webhooks.
		op(Operation{ID: "WebHookController_fetchWebHooks", Method: "GET", Path: "/webhooks", Tools: []string{"list_all_the_auth_api_webhooks"}, Summary: "List webhooks", Output: outputOf[[]keyway.Webhook]()},
			func(ctx context.Context, c *keyway.Caller, in *listWebhooksIn) (any, error) {
				items, next, err := svc.ListWebhooks(ctx, c, in.AccountID, in.ProjectID, in.Topic, in.page())
				return List{Items: items, Next: next}, err
			}),
		op(Operation{ID: "WebHookController_createNewWebHook", Method: "POST", Path: "/webhooks", Tools: []string{"create_a_the_auth_api_webhook"}, Summary: "Create a webhook (the answer holds its signing secret)", Output: outputOf[keyway.Webhook]()},
			func(ctx context.Context, c *keyway.Caller, in *createWebhookIn) (any, error) {
				return svc.CreateWebhook(ctx, c, &in.Body)
			}),
		op(Operation{ID: "WebHookController_fetchWebHookById", Method: "GET", Path: "/webhooks/{id}", Tools: []string{"get_single_the_auth_api_webhook_by_id"}, Summary: "Get a webhook", Output: outputOf[keyway.Webhook]()},
			func(ctx context.Context, c *keyway.Caller, in *idPath) (any, error) {
				return svc.GetWebhook(ctx, c, in.ID)
			}),
		op(Operation{ID: "WebHookController_updateWebHook", Method: "PATCH", Path: "/webhooks/{id}", Tools: []string{"update_a_the_auth_api_webhook_by_id"}, Summary: "Update a webhook", Output: outputOf[keyway.Webhook]()},
			func(ctx context.Context, c *keyway.Caller, in *updateWebhookIn) (any, error) {
				return svc.UpdateWebhook(ctx, c, in.ID, &in.Body)
			}),
		op(Operation{ID: "WebHookController_deleteWebHook", Method: "DELETE", Path: "/webhooks/{id}", Tools: []string{"delete_a_the_auth_api_webhook_by_id"}, Summary: "Delete a webhook", Output: outputOf[bool]()},
			func(ctx context.Context, c *keyway.Caller, in *idPath) (any, error) {
				return svc.DeleteWebhook(ctx, c, in.ID)
			}),
		op(Operation{ID: "WebHookController_testWebhook", Method: "POST", Path: "/webhooks/ping", Tools: []string{"create_a_the_auth_api_webhooks_ping"}, Summary: "Send one test request now", Status: 200, Output: outputOf[keyway.PingResult]()},
			func(ctx context.Context, c *keyway.Caller, in *pingWebhookIn) (any, error) {
				return svc.PingWebhook(ctx, c, &in.Body)
			}),
		noInput(Operation{ID: "WebHookController_fetchTopics", Method: "GET", Path: "/webhooks/topics", Tools: []string{"list_all_the_auth_api_webhooks_topics"}, Summary: "Webhook topics", Output: outputOf[[]string]()},
			func(context.Context, *keyway.Caller) (any, error) { return keyway.Topics, nil }),
		op(Operation{ID: "WebhookDeliveries_list", Method: "GET", Path: "/webhooks/{id}/deliveries", Summary: "A webhook's deliveries and their attempts' outcome, newest first (Keyway only)", Output: outputOf[[]keyway.Delivery]()},
			func(ctx context.Context, c *keyway.Caller, in *webhookDeliveriesIn) (any, error) {
				items, next, err := svc.WebhookDeliveries(ctx, c, in.ID, in.page())
				return List{Items: items, Next: next}, err
			}),
		op(Operation{ID: "WebhookDeliveries_retry", Method: "POST", Path: "/webhooks/{id}/deliveries/{deliveryId}/retry", Summary: "Send a delivery again now (Keyway only)", Output: outputOf[keyway.Delivery]()},
			func(ctx context.Context, c *keyway.Caller, in *retryDeliveryIn) (any, error) {
				return svc.RetryDelivery(ctx, c, in.ID, in.DeliveryID)
			}),

		// Accounts.
		noInput(Operation{ID: "accountsController_getAccountsByUser", Method: "GET", Path: "/accounts", Tools: []string{"list_all_the_auth_api_accounts"}, Summary: "The caller's accounts", Output: outputOf[[]keyway.Account]()},
			func(ctx context.Context, c *keyway.Caller) (any, error) { return svc.ListAccounts(ctx, c) }),
		op(Operation{ID: "accountsController_createAccount", Method: "POST", Path: "/accounts", Tools: []string{"create_a_the_auth_api_account"}, Summary: "Create an account (signed-in users only)", Output: outputOf[keyway.Account]()},
			func(ctx context.Context, c *keyway.Caller, in *createAccountIn) (any, error) {
				return svc.CreateAccount(ctx, c, &in.Body)
			}),
		op(Operation{ID: "accountsController_getSingleAccount", Method: "GET", Path: "/accounts/{id}", Tools: []string{"get_single_the_auth_api_account_by_id"}, Summary: "Get an account", Output: outputOf[keyway.Account]()},
			func(ctx context.Context, c *keyway.Caller, in *idPath) (any, error) {
				return svc.GetAccount(ctx, c, in.ID)
			}),
		op(Operation{ID: "accountsController_updateAccountMeta", Method: "PATCH", Path: "/accounts/{id}", Tools: []string{"update_a_the_auth_api_account_by_id"}, Summary: "Rename an account", Output: outputOf[keyway.Account]()},
			func(ctx context.Context, c *keyway.Caller, in *renameByIDIn) (any, error) {
				return svc.RenameAccount(ctx, c, in.ID, &in.Body)
			}),
		op(Operation{ID: "accountsController_removeAccount", Method: "DELETE", Path: "/accounts/{id}", Tools: []string{"delete_a_the_auth_api_account_by_id"}, Summary: "Delete an account; everything under it stops authenticating", Output: outputOf[keyway.Account]()},
			func(ctx context.Context, c *keyway.Caller, in *idPath) (any, error) {
				return svc.DeleteAccount(ctx, c, in.ID)
			}),
		op(Operation{ID: "accountsController_addUserToAccount", Method: "POST", Path: "/accounts/{id}/users", Tools: []string{"create_a_the_auth_api_account_user"}, Summary: "Invite a person by email to the account with role user (empty answer)", Output: outputOf[Empty]()},
			func(ctx context.Context, c *keyway.Caller, in *inviteToAccountIn) (any, error) {
				return Empty{}, svc.InviteToAccount(ctx, c, in.ID, &in.Body)
			}),

		// Authentication of people (issue: people).
		op(Operation{ID: "AuthController_registerUser", Method: "POST", Path: "/auth/signup", Tools: []string{"create_a_the_auth_api_auth_signup"}, Summary: "Sign up (empty answer); without an invitation the user gets an account of their own", Public: true, Output: outputOf[Empty]()},
			func(ctx context.Context, _ *keyway.Caller, in *signupIn) (any, error) {
				return Empty{}, svc.Signup(ctx, &in.Body)
			}),
		op(Operation{ID: "AuthController_registerUserViaFireBase", Method: "POST", Path: "/auth/add-user-from-firebase", Tools: []string{"create_a_the_auth_api_auth_add_user_from_firebase"}, Summary: "Sign up or sign in with a verified Firebase ID token: tokens, as a login gives", Public: true, Output: outputOf[keyway.Tokens]()},
			func(ctx context.Context, _ *keyway.Caller, in *firebaseIn) (any, error) {
				return svc.FirebaseSignIn(ctx, &in.Body)
			}),
		op(Operation{ID: "AuthController_loginUser", Method: "POST", Path: "/auth/login", Tools: []string{"create_a_the_auth_api_auth_login"}, Summary: "Log in: an access token and a refresh token", Public: true, Output: outputOf[keyway.Tokens]()},
			func(ctx context.Context, _ *keyway.Caller, in *loginIn) (any, error) { return svc.Login(ctx, &in.Body) }),
		op(Operation{ID: "AuthController_emailOtc", Method: "POST", Path: "/auth/email-otc", Tools: []string{"create_a_the_auth_api_auth_email_otc"}, Summary: "Email a one-time sign-in code (empty answer, whether or not the email is known)", Public: true, Output: outputOf[Empty]()},
			func(ctx context.Context, _ *keyway.Caller, in *emailOTCIn) (any, error) {
				return Empty{}, svc.EmailLoginCode(ctx, &in.Body)
			}),
		op(Operation{ID: "AuthController_validateOneTimeCode", Method: "POST", Path: "/auth/validate-login-code", Tools: []string{"create_a_the_auth_api_auth_validate_login_code"}, Summary: "Log in with a one-time code: tokens, as a login gives", Public: true, Output: outputOf[keyway.Tokens]()},
			func(ctx context.Context, _ *keyway.Caller, in *loginCodeIn) (any, error) {
				return svc.ValidateLoginCode(ctx, &in.Body)
			}),
		op(Operation{ID: "AuthController_refreshAccessToken", Method: "POST", Path: "/auth/refresh-access-token", Tools: []string{"create_a_the_auth_api_auth_refresh_access_token"}, Summary: "Spend a refresh token for a new pair (a replayed one revokes its login)", Public: true, Output: outputOf[keyway.Tokens]()},
			func(ctx context.Context, _ *keyway.Caller, in *refreshIn) (any, error) {
				return svc.RefreshTokens(ctx, &in.Body)
			}),
		op(Operation{ID: "AuthController_legacyAuthenticate", Method: "POST", Path: "/auth/authenticate", Tools: []string{"create_a_the_auth_api_auth_authenticate"}, Summary: "Legacy key check", Verification: true, Output: outputOf[LegacyAuthentication]()},
			func(ctx context.Context, c *keyway.Caller, in *legacyAuthenticateIn) (any, error) {
				r, err := v.Verify(ctx, c, in.Body.Credentials.APIKey, "")
				if err != nil {
					return nil, err
				}
				out := Verified{Result: r}
				if r.Outcome == verify.Valid {
					k, err := r.APIKey()
					if err != nil {
						return nil, keyway.Internal(err)
					}
					out.Success = LegacyAuthentication{Authenticated: true, CustomMetaData: k.CustomMetaData, CustomAccountID: k.CustomAccountID, CustomUserID: k.CustomUserID}
				}
				return out, nil
			}),
		op(Operation{ID: "UsersController_updateUser", Method: "PATCH", Path: "/users/{id}", Tools: []string{"update_a_the_auth_api_user_by_id"}, Summary: "Rename a user: yourself, or a member of an account you administer", Output: outputOf[keyway.User]()},
			func(ctx context.Context, c *keyway.Caller, in *renameByIDIn) (any, error) {
				return svc.RenameUser(ctx, c, in.ID, &in.Body)
			}),

		// API keys.
		op(Operation{ID: "ApiKeyController_listClientKeys", Method: "GET", Path: "/api-keys", Tools: []string{"list_all_the_auth_api_api_keys"}, Summary: "List API keys of a project, newest first", Output: outputOf[[]keyway.APIKey]()},
			func(ctx context.Context, c *keyway.Caller, in *listAPIKeysIn) (any, error) {
				items, next, err := svc.ListAPIKeys(ctx, c, service.ListAPIKeysQuery{
					ProjectID: in.ProjectID, Name: in.Name, CustomAccountID: in.CustomAccountID,
					CustomUserID: in.CustomUserID, IsActive: in.IsActive, Page: in.page(),
				})
				return List{Items: items, Next: next}, err
			}),
		op(Operation{ID: "ApiKeyController_generateClientKey", Method: "POST", Path: "/api-keys", Tools: []string{"create_a_the_auth_api_api_key"}, Summary: "Create an API key", Output: outputOf[keyway.APIKey]()},
			func(ctx context.Context, c *keyway.Caller, in *createAPIKeyIn) (any, error) {
				return svc.CreateAPIKey(ctx, c, &in.Body)
			}),
		op(Operation{ID: "ApiKeyController_getKey", Method: "GET", Path: "/api-keys/{key}", Tools: []string{"the_auth_api_api_keys_list_2", "get_single_the_auth_api_api_key_by_id"}, Summary: "Read an API key without using it", Output: outputOf[keyway.APIKey]()},
			func(ctx context.Context, c *keyway.Caller, in *keyPath) (any, error) {
				return svc.GetAPIKey(ctx, c, in.Key)
			}),
		op(Operation{ID: "ApiKeyController_updateMeta", Method: "PATCH", Path: "/api-keys/{key}", Tools: []string{"update_a_the_auth_api_api_key_by_id"}, Summary: "Update an API key; null clears a field", Output: outputOf[keyway.APIKey]()},
			func(ctx context.Context, c *keyway.Caller, in *updateAPIKeyIn) (any, error) {
				return svc.UpdateAPIKey(ctx, c, in.Key, &in.Body)
			}),
		op(Operation{ID: "ApiKeyController_deactivateKey", Method: "DELETE", Path: "/api-keys/{key}", Tools: []string{"delete_a_the_auth_api_api_key_by_id"}, Summary: "Revoke an API key", Output: outputOf[bool]()},
			func(ctx context.Context, c *keyway.Caller, in *keyPath) (any, error) {
				return svc.DeleteAPIKey(ctx, c, in.Key)
			}),
		op(Operation{ID: "ApiKeyController_authenticateKeyLegacy", Method: "GET", Path: "/api-keys/auth/{key}", Tools: []string{"list_all_the_auth_api_api_keys_auths", "get_single_the_auth_api_api_keys_auth_by_id"}, Summary: "Verify an API key (legacy)", Verification: true, Output: outputOf[keyway.APIKey]()},
			verifyKey),
		op(Operation{ID: "ApiKeyController_authenticateKey", Method: "POST", Path: "/api-keys/auth/{key}", Tools: []string{"create_a_the_auth_api_api_keys_auth"}, Summary: "Verify an API key", Status: 200, Verification: true, Output: outputOf[keyway.APIKey]()},
			verifyKey),
		op(Operation{ID: "ApiKeyController_reactivateKey", Method: "PATCH", Path: "/api-keys/{key}/reactivate", Tools: []string{"update_a_the_auth_api_api_key_reactivate_by_id"}, Summary: "Reactivate a revoked or expired API key", Output: outputOf[keyway.APIKey]()},
			func(ctx context.Context, c *keyway.Caller, in *reactivateAPIKeyIn) (any, error) {
				return svc.ReactivateAPIKey(ctx, c, in.Key, &in.Body)
			}),
		op(Operation{ID: "ApiKeyController_rotateKey", Method: "POST", Path: "/api-keys/{key}/rotate", Tools: []string{"create_a_the_auth_api_api_key_rotate"}, Summary: "Replace an API key's string, keeping its settings", Output: outputOf[keyway.APIKey]()},
			func(ctx context.Context, c *keyway.Caller, in *keyPath) (any, error) {
				return svc.RotateAPIKey(ctx, c, in.Key)
			}),

		// Analytics (issue: usage analytics).
		op(Operation{ID: "AnalyticsController_getProjectTotals", Method: "GET", Path: "/analytics/project-totals", Tools: []string{"list_all_the_auth_api_analytics_project_totals"}, Summary: "Verification totals of a project per period (UTC; buckets starting in [from, to))", Output: outputOf[keyway.ProjectTotals]()},
			func(ctx context.Context, c *keyway.Caller, in *analyticsQuery) (any, error) {
				return svc.ProjectTotals(ctx, c, in.query())
			}),
		op(Operation{ID: "AnalyticsController_getApiKeyTotals", Method: "GET", Path: "/analytics/api-key-totals", Tools: []string{"list_all_the_auth_api_analytics_api_key_totals"}, Summary: "Verification totals per API key with usage in the window, most used first (revoked keys included)", Output: outputOf[keyway.APIKeyTotals]()},
			func(ctx context.Context, c *keyway.Caller, in *analyticsPageQuery) (any, error) {
				out, next, err := svc.APIKeyTotals(ctx, c, in.query())
				return Paged{Value: out, Next: next}, err
			}),
		op(Operation{ID: "Analytics_export", Method: "GET", Path: "/analytics/export", Summary: "Usage as CSV, one row per key and period, for billing (Keyway only)", Output: outputOf[CSV]()},
			func(ctx context.Context, c *keyway.Caller, in *analyticsQuery) (any, error) {
				rows, err := svc.ExportUsage(ctx, c, in.query())
				return CSV{Header: service.ExportHeader, Rows: rows}, err
			}),
		op(Operation{ID: "NotifyController_welcomeMessage", Method: "GET", Path: "/notifications", Tools: []string{"list_all_the_auth_api_notifications"}, Summary: "The caller's account's notifications, newest first", Output: outputOf[[]keyway.Notification]()},
			func(ctx context.Context, c *keyway.Caller, in *pageQuery) (any, error) {
				items, next, err := svc.Notifications(ctx, c, in.page())
				return List{Items: items, Next: next}, err
			}),
		op(Operation{ID: "Notifications_markRead", Method: "PATCH", Path: "/notifications/{id}", Summary: "Mark a notification read (Keyway only)", Output: outputOf[keyway.Notification]()},
			func(ctx context.Context, c *keyway.Caller, in *idPath) (any, error) {
				return svc.MarkNotificationRead(ctx, c, in.ID)
			}),

		// MCP servers: tokens for AI agents (Keyway only; not tools).
		op(Operation{ID: "MCPServers_list", Method: "GET", Path: "/mcp-servers", Summary: "List an account's MCP servers, without their tokens (admins)", Output: outputOf[[]keyway.MCPServer]()},
			func(ctx context.Context, c *keyway.Caller, in *accountQuery) (any, error) {
				items, next, err := svc.ListMCPServers(ctx, c, in.AccountID, in.page())
				return List{Items: items, Next: next}, err
			}),
		op(Operation{ID: "MCPServers_create", Method: "POST", Path: "/mcp-servers", Summary: "Create an MCP server: the answer holds its token (shown once) and the url to give an agent (admins)", Output: outputOf[keyway.MCPServer]()},
			func(ctx context.Context, c *keyway.Caller, in *createMCPServerIn) (any, error) {
				return svc.CreateMCPServer(ctx, c, &in.Body)
			}),
		op(Operation{ID: "MCPServers_get", Method: "GET", Path: "/mcp-servers/{id}", Summary: "Get an MCP server, without its token (admins)", Output: outputOf[keyway.MCPServer]()},
			func(ctx context.Context, c *keyway.Caller, in *idPath) (any, error) {
				return svc.GetMCPServer(ctx, c, in.ID)
			}),
		op(Operation{ID: "MCPServers_update", Method: "PATCH", Path: "/mcp-servers/{id}", Summary: "Rename an MCP server, change its tools or expiry (admins)", Output: outputOf[keyway.MCPServer]()},
			func(ctx context.Context, c *keyway.Caller, in *updateMCPServerIn) (any, error) {
				return svc.UpdateMCPServer(ctx, c, in.ID, &in.Body)
			}),
		op(Operation{ID: "MCPServers_revoke", Method: "DELETE", Path: "/mcp-servers/{id}", Summary: "Revoke an MCP server: its token stops working at once (admins)", Output: outputOf[keyway.MCPServer]()},
			func(ctx context.Context, c *keyway.Caller, in *idPath) (any, error) {
				return svc.RevokeMCPServer(ctx, c, in.ID)
			}),

		// Invitations and teammates (issue: people).
		op(Operation{ID: "InvitationsController_getInvitations", Method: "GET", Path: "/invitations", Tools: []string{"list_all_the_auth_api_invitations"}, Summary: "List an account's invitations, newest first (admins)", Output: outputOf[[]keyway.Invitation]()},
			func(ctx context.Context, c *keyway.Caller, in *listInvitationsIn) (any, error) {
				items, next, err := svc.ListInvitations(ctx, c, in.AccountID, in.ProjectID, in.Status, in.page())
				return List{Items: items, Next: next}, err
			}),
		op(Operation{ID: "InvitationsController_addInvitation", Method: "POST", Path: "/invitations", Tools: []string{"create_a_the_auth_api_invitation"}, Summary: "Invite people by email (admins); each gets a link", Output: outputOf[[]keyway.Invitation]()},
			func(ctx context.Context, c *keyway.Caller, in *createInvitationsIn) (any, error) {
				return svc.CreateInvitations(ctx, c, &in.Body)
			}),
		op(Operation{ID: "InvitationsController_getInvitation", Method: "GET", Path: "/invitations/{id}", Tools: []string{"get_single_the_auth_api_invitation_by_id"}, Summary: "Get an invitation (admins)", Output: outputOf[keyway.Invitation]()},
			func(ctx context.Context, c *keyway.Caller, in *idPath) (any, error) {
				return svc.GetInvitation(ctx, c, in.ID)
			}),
		op(Operation{ID: "InvitationsController_updateInvitation", Method: "PATCH", Path: "/invitations/{id}", Tools: []string{"update_a_the_auth_api_invitation_by_id"}, Summary: "Change the role a pending invitation offers (admins)", Output: outputOf[keyway.Invitation]()},
			func(ctx context.Context, c *keyway.Caller, in *updateInvitationIn) (any, error) {
				return svc.UpdateInvitation(ctx, c, in.ID, &in.Body)
			}),
		op(Operation{ID: "InvitationsController_cancelInvitation", Method: "DELETE", Path: "/invitations/{id}", Tools: []string{"delete_a_the_auth_api_invitation_by_id"}, Summary: "Cancel a pending invitation (admins)", Output: outputOf[keyway.Invitation]()},
			func(ctx context.Context, c *keyway.Caller, in *idPath) (any, error) {
				return svc.CancelInvitation(ctx, c, in.ID)
			}),
		op(Operation{ID: "InvitationsController_acceptInvitation", Method: "POST", Path: "/invitations/{id}/accept", Tools: []string{"create_a_the_auth_api_invitation_accept"}, Summary: "Accept an invitation sent to your email", Output: outputOf[keyway.Invitation]()},
			func(ctx context.Context, c *keyway.Caller, in *idPath) (any, error) {
				return svc.AcceptInvitation(ctx, c, in.ID)
			}),
		op(Operation{ID: "InvitationsController_getInvitationInfo", Method: "GET", Path: "/invitations/{id}/info", Tools: []string{"list_all_the_auth_api_invitation_info"}, Summary: "Public facts of an invitation, for whoever holds its link", Public: true, Output: outputOf[keyway.InvitationInfo]()},
			func(ctx context.Context, _ *keyway.Caller, in *idPath) (any, error) {
				return svc.InvitationInfo(ctx, in.ID)
			}),
		op(Operation{ID: "TeammatesController_getAllTeammates", Method: "GET", Path: "/teammates", Tools: []string{"list_all_the_auth_api_teammates"}, Summary: "Who holds roles in an account, or over one project", Output: outputOf[[]keyway.Teammate]()},
			func(ctx context.Context, c *keyway.Caller, in *teammatesIn) (any, error) {
				return svc.Teammates(ctx, c, in.AccountID, in.ProjectID)
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
