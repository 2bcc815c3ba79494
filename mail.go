package keyway

// MailMessage is one plain-text email. Secrets are substrings of Text
// (codes, links with ids) that whoever logs the message masks.
//
// To is one address as net/mail parses it, with or without a display name.
// Senders refuse a To or Subject containing CR or LF rather than let it
// start a header of its own.
type MailMessage struct {
	To, Subject, Text string
	Secrets           []string
}

// Mailer queues an email (mailer.Queue): a failed send never fails the
// request that caused it, so Enqueue has nothing to report.
type Mailer interface {
	Enqueue(m MailMessage)
}
