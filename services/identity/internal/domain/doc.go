// Package domain holds the identity context's rules: the User aggregate (account, addresses,
// password reset) and the Session aggregate (a login and its chain of refresh tokens), with
// the validation of e-mail addresses, passwords and postal addresses. No I/O happens here.
package domain
