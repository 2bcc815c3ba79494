package service

// SigninWindow is the window, in seconds, of both limits on sign-in
// attempts: per email (People.LoginLimit) and per client address
// (People.AddressLimit, whose count is a setting). One window, so the
// setting's help can name it once.
const SigninWindow = 15 * 60
