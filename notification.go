package keyway

// NotificationScope is a part of one account's notifications: all of them
// when ProjectID is "", else that project's, and with AccountWide also the
// account's own, which name no project.
type NotificationScope struct {
	AccountID   string
	ProjectID   string
	AccountWide bool
}

// Notification is a message for the people of an account (GET
// /notifications, in a later release).
type Notification struct {
	ID        string  `json:"id"`
	Type      string  `json:"type"`
	Title     string  `json:"title"`
	Message   string  `json:"message"`
	AccountID string  `json:"accountId"`
	ProjectID *string `json:"projectId"`
	CreatedAt Time    `json:"createdAt"`
	ReadAt    *Time   `json:"readAt"`
}
