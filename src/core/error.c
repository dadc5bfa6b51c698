/* error.c - names for the error space of error.h. */
#include <string.h>

#include "error.h"

static const char *const sp_error_names[] = {
	[-(SP_ECONFIG - SP_EBASE)] = "invalid configuration",
	[-(SP_EKEYPERM - SP_EBASE)] = "key file permissions are too open (need 0600)",
	[-(SP_EKEYFORMAT - SP_EBASE)] = "malformed key",
	[-(SP_EMALFORMED - SP_EBASE)] = "malformed message",
	[-(SP_ETRUNC - SP_EBASE)] = "output buffer too small",
	[-(SP_ECRYPTO - SP_EBASE)] = "cryptographic operation failed",
	[-(SP_ELDNS - SP_EBASE)] = "ldns error",
	[-(SP_EAUTH - SP_EBASE)] = "authentication failed",
	[-(SP_EREPLAY - SP_EBASE)] = "replayed message",
	[-(SP_ELIMIT - SP_EBASE)] = "resource limit reached",
	[-(SP_ESTATE - SP_EBASE)] = "message not valid in this state",
	[-(SP_ENOTFOUND - SP_EBASE)] = "not found",
	[-(SP_EPROTO - SP_EBASE)] = "protocol violation",
	[-(SP_EBOGUS - SP_EBASE)] = "DNSSEC validation failed",
	[-(SP_EEXPIRED - SP_EBASE)] = "expired",
	[-(SP_EUV - SP_EBASE)] = "event loop error",
};

const char *sp_strerror(int err)
{
	if (err == 0)
		return "success";
	if (err < SP_EBASE && err > SP_ELAST) {
		const char *s = sp_error_names[-(err - SP_EBASE)];
		return s ? s : "unknown error";
	}
	if (err < 0 && err > SP_EBASE)
		return strerror(-err);
	return "unknown error";
}
