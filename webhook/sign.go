package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// secretPrefix marks a Standard Webhooks signing secret; the rest is the
// base64 of the HMAC key.
const secretPrefix = "whsec_"

// ErrInvalidSecret is returned for a signing secret that is not "whsec_"
// followed by base64. It never repeats the secret.
var ErrInvalidSecret = errors.New("webhook: signing secret is not valid base64 after whsec_")

// Sign returns the Standard Webhooks signature header value for one message:
// "v1," and the base64 HMAC-SHA256, keyed with the decoded secret, of
// msgID "." unix-seconds "." body. The prefix is optional, as it is in the
// reference libraries.
func Sign(secret, msgID string, ts time.Time, body []byte) (string, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, secretPrefix))
	if err != nil || len(key) == 0 {
		return "", ErrInvalidSecret
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(msgID))
	mac.Write([]byte{'.'})
	mac.Write(strconv.AppendInt(nil, ts.Unix(), 10))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)), nil
}
