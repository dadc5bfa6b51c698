/* cmd_pubkey.c - `signpost pubkey`: a private key on stdin to its public key. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "cli.h"
#include "core/keys.h"

/* A key is 44 characters; allow generous whitespace around it. */
#define PUBKEY_INPUT_MAX 1024

static int pubkey_run(const struct cli_cmd *cmd, int argc, char **argv, struct cli_ctx *ctx)
{
	static const struct option opts[] = {
		{ "wireguard", no_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool wireguard = false;
	int c, done;
	while ((c = cli_getopt(cmd, argc, argv, opts, &done)) != -1) {
		if (c == 0)
			return done;
		if (c == 'w')
			wireguard = true;
	}
	if (optind < argc)
		return cli_usage(cmd, "unexpected argument '%s'", argv[optind]);

	char buf[PUBKEY_INPUT_MAX + 1];
	size_t n = fread(buf, 1, sizeof(buf), stdin);
	int ret = CLI_OK;
	if (ferror(stdin)) {
		ret = cli_fail(cmd, "cannot read the private key from stdin");
	} else if (n > PUBKEY_INPUT_MAX || memchr(buf, '\0', n) != NULL) {
		ret = cli_fail(cmd, "stdin: not a private key (base64 of 32 bytes)");
	} else {
		buf[n] = '\0';
		struct sp_keypair kp;
		if (sp_key_parse_private(buf, &kp) != 0) {
			ret = cli_fail(cmd, "stdin: not a private key (base64 of 32 bytes)");
		} else {
			char b64[SP_KEY_B64_LEN];
			sp_key_to_b64(wireguard ? kp.x_pk : kp.ed_pk, b64);
			sp_key_wipe(&kp);
			if (printf("%s\n", b64) < 0 || fflush(stdout) != 0)
				ret = cli_fail(cmd, "cannot write to stdout");
		}
	}
	sodium_memzero(buf, sizeof(buf));
	return ret;
}

const struct cli_cmd cli_cmd_pubkey = {
	.name = "pubkey",
	.run = pubkey_run,
	.summary = "read a private key on stdin, print its public key",
	.help = "Usage: signpost pubkey [--wireguard] < PRIVATE-KEY\n"
		"\n"
		"Reads a node private key (as 'signpost genkey' prints it) on stdin and prints\n"
		"its Ed25519 public key in base64: the key published in the zone at the node's\n"
		"name as a KEY record (flags 512: a host key, protocol 3, algorithm 15).\n"
		"\n"
		"Options:\n"
		"  -w, --wireguard  print the X25519 public key instead, in WireGuard's base64\n"
		"                   form: what 'wg show' reports and a WireGuard peer needs\n"
		"  -h, --help       show this help\n",
};
