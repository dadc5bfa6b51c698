/*
 * cmd_wgquick.c - `signpost wg-quick`: a WireGuard client configuration for
 * a device, made by the running signpost.
 *
 * The signpost only ever sees the device's public key: it answers with
 * TUN_WGQUICK_KEY_PLACEHOLDER on the PrivateKey line, and with --key-file
 * this command puts the device's X25519 private key there itself.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli.h"
#include "core/keys.h"
#include "tunnel/wgquick.h"

/* Signing nothing, but the daemon may be busy: the same allowance as `zone`. */
#define WGQUICK_TIMEOUT_MS 30000

/* Print reply with the placeholder replaced by the private key; wipes what it wrote. */
static int print_with_key(const struct cli_cmd *cmd, const char *reply,
			  const struct sp_keypair *kp)
{
	const char *at = strstr(reply, TUN_WGQUICK_KEY_PLACEHOLDER);
	if (at == NULL)
		return cli_fail(cmd, "signpostd's reply has no private key line");
	char b64[SP_KEY_B64_LEN];
	sp_key_to_b64(kp->x_sk, b64);
	int ok = fwrite(reply, 1, (size_t)(at - reply), stdout) == (size_t)(at - reply) &&
		 fputs(b64, stdout) >= 0 &&
		 fputs(at + strlen(TUN_WGQUICK_KEY_PLACEHOLDER), stdout) >= 0 &&
		 fflush(stdout) == 0;
	sodium_memzero(b64, sizeof(b64));
	return ok ? CLI_OK : cli_fail(cmd, "cannot write to stdout");
}

static int wgquick_run(const struct cli_cmd *cmd, int argc, char **argv, struct cli_ctx *ctx)
{
	static const struct option opts[] = {
		{ "key-file", required_argument, NULL, 'k' },
		{ "endpoint", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *key_file = NULL, *endpoint = NULL;
	int c, done;
	while ((c = cli_getopt(cmd, argc, argv, opts, &done)) != -1) {
		if (c == 0)
			return done;
		if (c == 'k')
			key_file = optarg;
		else if (c == 'e')
			endpoint = optarg;
	}
	if (optind + 1 != argc)
		return cli_usage(cmd, optind == argc ? "missing DEVICE" : "unexpected argument '%s'",
				 argv[optind + (optind < argc)]);

	struct sp_keypair kp;
	char pk[SP_KEY_B64_LEN] = "-";
	if (key_file) {
		if (sp_key_load(key_file, &kp) != 0)
			return cli_fail(cmd, "%s: cannot use this device key", key_file);
		sp_key_to_b64(kp.ed_pk, pk);
	}
	char *args[] = { "wg-quick", argv[optind], pk, (char *)endpoint, NULL };
	int status = 0;
	char *reply = NULL;
	int ret = cli_ctl_call(cmd, ctx, endpoint ? 4 : 3, args, WGQUICK_TIMEOUT_MS, &status,
			       &reply);
	if (ret == CLI_OK)
		ret = key_file && status == 0 ? print_with_key(cmd, reply, &kp)
					      : cli_ctl_print(cmd, status, reply);
	free(reply);
	if (key_file)
		sp_key_wipe(&kp);
	return ret;
}

const struct cli_cmd cli_cmd_wg_quick = {
	.name = "wg-quick",
	.run = wgquick_run,
	.summary = "print a WireGuard client configuration for a device",
	.help = "Usage: signpost [-c FILE] wg-quick DEVICE [--key-file KEY] [--endpoint HOST:PORT]\n"
		"\n"
		"Asks the running signpostd (FILE names its control socket) for a configuration\n"
		"that a stock WireGuard client (wg-quick, the phone apps) can use to join the\n"
		"overlay through this signpost as DEVICE, and prints it.\n"
		"\n"
		"  --key-file KEY        the device's node key (`signpost genkey`, mode 0600):\n"
		"                        fills in PrivateKey and Address, and prints the [peer]\n"
		"                        lines to add to the signpost.  Only the public key is\n"
		"                        sent to signpostd; the private key stays here.\n"
		"  --endpoint HOST:PORT  the signpost's public address, as the device sees it\n"
		"\n"
		"  signpost -c /etc/signpost/signpost.conf wg-quick phone --key-file phone.key \\\n"
		"      --endpoint 192.0.2.1:51820 > phone.conf\n",
};
