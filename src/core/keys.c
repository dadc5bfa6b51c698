/* keys.c - node identity keys on disk and in memory; see keys.h. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "keys.h"
#include "log.h"

int sp_key_from_seed(struct sp_keypair *kp, const uint8_t seed[SP_KEY_LEN])
{
	if (sodium_init() < 0)
		return SP_ECRYPTO;
	memmove(kp->seed, seed, SP_KEY_LEN);
	if (crypto_sign_seed_keypair(kp->ed_pk, kp->ed_sk, kp->seed) != 0 ||
	    crypto_sign_ed25519_pk_to_curve25519(kp->x_pk, kp->ed_pk) != 0 ||
	    crypto_sign_ed25519_sk_to_curve25519(kp->x_sk, kp->ed_sk) != 0) {
		sp_key_wipe(kp);
		return SP_ECRYPTO;
	}
	return 0;
}

int sp_key_generate(struct sp_keypair *kp)
{
	uint8_t seed[SP_KEY_LEN];
	if (sodium_init() < 0)
		return SP_ECRYPTO;
	randombytes_buf(seed, sizeof(seed));
	int rc = sp_key_from_seed(kp, seed);
	sodium_memzero(seed, sizeof(seed));
	return rc;
}

void sp_key_wipe(struct sp_keypair *kp)
{
	sodium_memzero(kp, sizeof(*kp));
}

void sp_key_to_b64(const uint8_t key[SP_KEY_LEN], char out[SP_KEY_B64_LEN])
{
	sodium_bin2base64(out, SP_KEY_B64_LEN, key, SP_KEY_LEN, sodium_base64_VARIANT_ORIGINAL);
}

int sp_key_from_b64(const char *text, uint8_t key[SP_KEY_LEN])
{
	while (isspace((unsigned char)*text))
		text++;
	size_t n = strlen(text);
	while (n > 0 && isspace((unsigned char)text[n - 1]))
		n--;
	size_t len = 0;
	const char *end = NULL;
	if (n != SP_KEY_B64_LEN - 1 ||
	    sodium_base642bin(key, SP_KEY_LEN, text, n, NULL, &len, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    len != SP_KEY_LEN || end != text + n)
		return SP_EKEYFORMAT;
	return 0;
}

int sp_key_parse_private(const char *text, struct sp_keypair *kp)
{
	uint8_t seed[SP_KEY_LEN];
	int rc = sp_key_from_b64(text, seed);
	if (rc == 0)
		rc = sp_key_from_seed(kp, seed);
	sodium_memzero(seed, sizeof(seed));
	return rc;
}

int sp_secret_file_read(const char *path, char *buf, size_t max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		int e = errno;
		sp_err("%s: cannot open secret file: %s", path, strerror(e));
		return -e;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		sp_err("%s: not a regular file", path);
		close(fd);
		return SP_EKEYFORMAT;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		sp_err("%s: mode %04o gives others access to a secret; run chmod 600 %s", path,
		       (unsigned)(st.st_mode & 07777), path);
		close(fd);
		return SP_EKEYPERM;
	}
	if ((size_t)st.st_size >= max) {
		sp_err("%s: secret file is too large (%lld bytes)", path, (long long)st.st_size);
		close(fd);
		return SP_EKEYFORMAT;
	}
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, max - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	return 0;
}

int sp_file_create(const char *path, const char *text, unsigned mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, (mode_t)mode);
	if (fd < 0)
		return -errno;
	size_t len = strlen(text), off = 0;
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			unlink(path);
			return -e;
		}
		off += (size_t)n;
	}
	int rc = fsync(fd) < 0 ? -errno : 0;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc)
		unlink(path);
	return rc;
}

int sp_secret_file_write(const char *path, const char *text)
{
	int rc = sp_file_create(path, text, 0600);
	if (rc)
		sp_err("%s: cannot create: %s", path, strerror(-rc));
	return rc;
}

int sp_key_load(const char *path, struct sp_keypair *kp)
{
	char buf[256];
	int rc = sp_secret_file_read(path, buf, sizeof(buf));
	if (rc == 0) {
		rc = sp_key_parse_private(buf, kp);
		if (rc)
			sp_err("%s: not a private key (base64 of 32 bytes)", path);
	}
	sodium_memzero(buf, sizeof(buf));
	return rc;
}

int sp_key_save(const char *path, const struct sp_keypair *kp)
{
	char line[SP_KEY_B64_LEN + 1];
	sp_key_to_b64(kp->seed, line);
	strcat(line, "\n");
	int rc = sp_secret_file_write(path, line);
	sodium_memzero(line, sizeof(line));
	return rc;
}
