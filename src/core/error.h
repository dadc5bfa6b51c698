/*
 * error.h - the one error space of Signpost.
 *
 * Every function that can fail returns int: 0 on success, a negative errno
 * value for system errors, or one of the project codes below (all < -1000,
 * as Knot DNS does).  Library errors (ldns_status, libuv codes) are converted
 * where they enter; sp_strerror() names any of them.
 */
#ifndef SP_ERROR_H
#define SP_ERROR_H

#define SP_MUST_CHECK __attribute__((warn_unused_result))

enum sp_error {
	SP_OK = 0,
	SP_EBASE = -1000,
	SP_ECONFIG = -1001,	/* configuration invalid (details were logged) */
	SP_EKEYPERM = -1002,	/* key file mode is looser than 0600 */
	SP_EKEYFORMAT = -1003,	/* key file is not one base64 key of the right size */
	SP_EMALFORMED = -1004,	/* untrusted bytes do not parse */
	SP_ETRUNC = -1005,	/* output does not fit the buffer */
	SP_ECRYPTO = -1006,	/* a crypto primitive failed */
	SP_ELDNS = -1007,	/* ldns reported an error */
	SP_EAUTH = -1008,	/* authentication or signature check failed */
	SP_EREPLAY = -1009,	/* message was seen before */
	SP_ELIMIT = -1010,	/* a resource limit was reached */
	SP_ESTATE = -1011,	/* message not legal in the current state */
	SP_ENOTFOUND = -1012,	/* name, key or peer is not known */
	SP_EPROTO = -1013,	/* peer violated the protocol */
	SP_EBOGUS = -1014,	/* DNSSEC validation failed */
	SP_EEXPIRED = -1015,	/* signature or session outside its lifetime */
	SP_EUV = -1016,		/* libuv error with no errno equivalent */
	SP_ELAST = -1017
};

/* Name of an error code from any of the spaces above; never NULL. */
const char *sp_strerror(int err);

/* Convert a libuv error (negative) into our space: libuv uses -errno on Unix. */
static inline int sp_from_uv(int uverr) { return uverr; }

#endif
