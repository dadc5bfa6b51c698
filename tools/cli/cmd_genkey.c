/* cmd_genkey.c - `signpost genkey`: print a new private key. */
#include <getopt.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"
#include "core/keys.h"

static int genkey_run(const struct cli_cmd *cmd, int argc, char **argv, struct cli_ctx *ctx)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, done;
	while ((c = cli_getopt(cmd, argc, argv, opts, &done)) != -1)
		if (c == 0)
			return done;
	if (optind < argc)
		return cli_usage(cmd, "unexpected argument '%s'", argv[optind]);

	/* As `wg genkey` does: warn when the key lands in a file others can read. */
	struct stat st;
	if (fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode) &&
	    (st.st_mode & (S_IRWXG | S_IRWXO)))
		fprintf(stderr, "signpost genkey: warning: writing a private key to a file that "
				"others can read (use umask 077)\n");

	struct sp_keypair kp;
	if (sp_key_generate(&kp) != 0)
		return cli_fail(cmd, "cannot generate a key (libsodium failed)");
	char b64[SP_KEY_B64_LEN];
	sp_key_to_b64(kp.seed, b64);
	sp_key_wipe(&kp);
	int rc = printf("%s\n", b64) < 0 || fflush(stdout) != 0;
	sodium_memzero(b64, sizeof(b64));
	return rc ? cli_fail(cmd, "cannot write to stdout") : CLI_OK;
}

const struct cli_cmd cli_cmd_genkey = {
	.name = "genkey",
	.run = genkey_run,
	.summary = "print a new private key",
	.help = "Usage: signpost genkey\n"
		"\n"
		"Prints a new node private key: the base64 of a random 32-byte Ed25519 seed.\n"
		"Keep it in a file of mode 0600, e.g.:\n"
		"  umask 077; signpost genkey > node.key\n"
		"'signpost pubkey' prints its public keys.\n",
};
