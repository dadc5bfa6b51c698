/*
 * tsig_key.c - TSIG keys: BIND's key file format, as `tsig-keygen` writes
 * it and `nsupdate -k` reads it:
 *
 *   key "update.alice.example" {
 *           algorithm hmac-sha256;
 *           secret "base64==";
 *   };
 */
#include "dns/tsig.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#define KEYFILE_MAX 65536	/* a key file is a few lines; refuse anything big */
#define TOKEN_MAX 512

/* Tokenizer over the file text: words, "quoted strings", and { } ; */
struct lexer {
	const char *p, *end;
};

static void skip_space(struct lexer *lx)
{
	while (lx->p < lx->end) {
		if (isspace((unsigned char)*lx->p)) {
			lx->p++;
		} else if (*lx->p == '#' ||
			   (*lx->p == '/' && lx->p + 1 < lx->end && lx->p[1] == '/')) {
			while (lx->p < lx->end && *lx->p != '\n')
				lx->p++;
		} else if (*lx->p == '/' && lx->p + 1 < lx->end && lx->p[1] == '*') {
			lx->p += 2;
			while (lx->p + 1 < lx->end && !(lx->p[0] == '*' && lx->p[1] == '/'))
				lx->p++;
			lx->p = lx->p + 2 <= lx->end ? lx->p + 2 : lx->end;
		} else {
			break;
		}
	}
}

/* Next token into tok; returns its length, 0 at the end, -1 on error. */
static int next_token(struct lexer *lx, char tok[TOKEN_MAX])
{
	skip_space(lx);
	if (lx->p >= lx->end)
		return 0;
	size_t n = 0;
	if (strchr("{};", *lx->p)) {
		tok[n++] = *lx->p++;
	} else if (*lx->p == '"') {
		lx->p++;
		while (lx->p < lx->end && *lx->p != '"') {
			if (n + 1 >= TOKEN_MAX)
				return -1;
			tok[n++] = *lx->p++;
		}
		if (lx->p >= lx->end)
			return -1;
		lx->p++;
		if (n == 0)
			return -1;
	} else {
		while (lx->p < lx->end && !isspace((unsigned char)*lx->p) &&
		       !strchr("{};\"", *lx->p)) {
			if (n + 1 >= TOKEN_MAX)
				return -1;
			tok[n++] = *lx->p++;
		}
	}
	tok[n] = '\0';
	return (int)n;
}

static bool expect(struct lexer *lx, const char *want)
{
	char tok[TOKEN_MAX];
	return next_token(lx, tok) > 0 && strcmp(tok, want) == 0;
}

/* Presentation name to wire format, lower case; the final dot is optional. */
static int name_from_text(const char *text, uint8_t *wire, size_t *wire_len, char *canon,
			  size_t canon_cap)
{
	size_t tl = strlen(text), o = 0;
	if (tl == 0 || tl + 2 > canon_cap)
		return SP_EKEYFORMAT;
	const char *s = text;
	while (*s) {
		const char *dot = strchr(s, '.');
		size_t l = dot ? (size_t)(dot - s) : strlen(s);
		if (l == 0 || l > 63 || o + 1 + l + 1 > 255)
			return SP_EKEYFORMAT;
		wire[o++] = (uint8_t)l;
		for (size_t i = 0; i < l; i++) {
			unsigned char c = (unsigned char)s[i];
			if (c <= ' ' || c == '\\' || c >= 0x7f)
				return SP_EKEYFORMAT;
			wire[o++] = (uint8_t)tolower(c);
		}
		s += l;
		if (*s == '.')
			s++;
	}
	wire[o++] = 0;
	*wire_len = o;
	/* Canonical text: lower case with the final dot. */
	size_t c = 0;
	for (size_t i = 0; i < tl; i++)
		canon[c++] = (char)tolower((unsigned char)text[i]);
	if (canon[c - 1] != '.')
		canon[c++] = '.';
	canon[c] = '\0';
	return 0;
}

int dns_tsig_key_init(struct dns_tsig_key *k, const char *name, const char *secret_b64)
{
	memset(k, 0, sizeof(*k));
	int err = name_from_text(name, k->name, &k->name_len, k->name_text, sizeof(k->name_text));
	if (err != 0)
		return err;
	size_t n = 0;
	if (sodium_base642bin(k->secret, sizeof(k->secret), secret_b64, strlen(secret_b64), " \t",
			      &n, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    n == 0) {
		dns_tsig_key_wipe(k);
		return SP_EKEYFORMAT;
	}
	k->secret_len = n;
	return 0;
}

void dns_tsig_key_wipe(struct dns_tsig_key *k)
{
	if (k != NULL)
		sodium_memzero(k, sizeof(*k));
}

/* Parse `key "name" { algorithm hmac-sha256; secret "..."; };` */
static int parse_key(const char *text, size_t len, struct dns_tsig_key *out)
{
	struct lexer lx = { text, text + len };
	char name[TOKEN_MAX], tok[TOKEN_MAX], secret[TOKEN_MAX];
	bool have_alg = false;
	int err = SP_EKEYFORMAT;

	secret[0] = '\0';
	if (!expect(&lx, "key") || next_token(&lx, name) <= 0 || !expect(&lx, "{"))
		goto out;
	for (;;) {
		if (next_token(&lx, tok) <= 0)
			goto out;
		if (strcmp(tok, "}") == 0)
			break;
		if (strcmp(tok, "algorithm") == 0) {
			if (next_token(&lx, tok) <= 0 || strcasecmp(tok, "hmac-sha256") != 0)
				goto out;
			have_alg = true;
		} else if (strcmp(tok, "secret") == 0) {
			if (next_token(&lx, secret) <= 0)
				goto out;
		} else {
			goto out;
		}
		if (!expect(&lx, ";"))
			goto out;
	}
	if (!expect(&lx, ";") || !have_alg || secret[0] == '\0')
		goto out;
	err = dns_tsig_key_init(out, name, secret);
out:
	sodium_memzero(secret, sizeof(secret));
	sodium_memzero(tok, sizeof(tok));
	return err;
}

int dns_tsig_key_load(const char *path, struct dns_tsig_key *out)
{
	memset(out, 0, sizeof(*out));
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	struct stat st;
	int err = 0;
	char *buf = NULL;
	if (fstat(fd, &st) != 0) {
		err = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > KEYFILE_MAX) {
		err = SP_EKEYFORMAT;
		goto out;
	}
	if (st.st_mode & 077) {
		err = SP_EKEYPERM;
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		err = -ENOMEM;
		goto out;
	}
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : SP_EKEYFORMAT;
			goto out;
		}
		got += (size_t)n;
	}
	buf[got] = '\0';
	err = parse_key(buf, got, out);
out:
	if (buf != NULL) {
		sodium_memzero(buf, (size_t)st.st_size + 1);
		free(buf);
	}
	close(fd);
	return err;
}
