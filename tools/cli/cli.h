/*
 * cli.h - shared pieces of the `signpost` command-line tool.
 *
 * signpost.c dispatches argv[0] of a command to one struct cli_cmd, each
 * defined in its own cmd_*.c file (as wireguard-tools does).  A command
 * returns an exit code: CLI_OK, CLI_ERR (something failed; the message names
 * the file or option at fault) or CLI_USAGE (bad command line).
 */
#ifndef SP_CLI_H
#define SP_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <ldns/ldns.h>

#include "core/config.h"

#define CLI_VERSION "0.1.0"
#define CLI_DEFAULT_CONFIG "/etc/signpost/signpost.conf"

enum { CLI_OK = 0, CLI_ERR = 1, CLI_USAGE = 2 };
/* Internal: a helper already did all there was to do (printed --help); exit 0. */
#define CLI_DONE 3

/* Global options, parsed before the command word. */
struct cli_ctx {
	const char *config_path;	/* -c FILE, or CLI_DEFAULT_CONFIG */
};

struct cli_cmd {
	const char *name;
	/* argv[0] is the command word; returns an exit code. */
	int (*run)(const struct cli_cmd *cmd, int argc, char **argv, struct cli_ctx *ctx);
	const char *summary;	/* one line for `signpost --help` */
	const char *help;	/* full text for `signpost help CMD` */
};

extern const struct cli_cmd cli_cmd_genkey, cli_cmd_pubkey, cli_cmd_init, cli_cmd_status,
	cli_cmd_ds, cli_cmd_dnskey, cli_cmd_zone, cli_cmd_wg_quick;
/* Issue 8's control plane: enrollment, devices and friends (the daemon implements them). */
extern const struct cli_cmd cli_cmd_enroll, cli_cmd_devices, cli_cmd_revoke, cli_cmd_friend;
extern const struct cli_cmd cli_cmd_ping;
/* Issue 9's NAT plane. */
extern const struct cli_cmd cli_cmd_stun, cli_cmd_netcheck;
/* Issue 10's store plane. */
extern const struct cli_cmd cli_cmd_store;

/* Print cmd's help text to f. */
void cli_help(const struct cli_cmd *cmd, FILE *f);

/* Print "signpost CMD: MESSAGE" and a hint to stderr; returns CLI_USAGE. */
int cli_usage(const struct cli_cmd *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Print "signpost CMD: MESSAGE" to stderr; returns CLI_ERR. */
int cli_fail(const struct cli_cmd *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Parse cmd's options with getopt_long; short options are derived from
 * opts[].val.  Handles --help (prints help, *done = CLI_OK) and unknown
 * options (*done = CLI_USAGE).  Returns the option character, or -1 at the
 * end, or 0 when *done is set and the caller should return it.
 */
struct option;
int cli_getopt(const struct cli_cmd *cmd, int argc, char **argv, const struct option *opts,
	       int *done);

/* Load the configuration named by ctx; errors are logged with file:line. */
int cli_config_load(const struct cli_cmd *cmd, const struct cli_ctx *ctx, struct sp_config **out);

/*
 * Send argv to the daemon named by ctx's configuration (its control-socket)
 * and print the reply: chunks of a streamed reply to stdout as they come,
 * the rest to stdout when the daemon reports success, else to
 * stderr.  Returns an exit code.
 */
int cli_ctl_forward(const struct cli_cmd *cmd, const struct cli_ctx *ctx, int argc,
		    char *const *argv, int timeout_ms);

/* The two halves of cli_ctl_forward: ask (*reply is malloc'd), then print. */
int cli_ctl_call(const struct cli_cmd *cmd, const struct cli_ctx *ctx, int argc,
		 char *const *argv, int timeout_ms, int *status, char **reply);
int cli_ctl_print(const struct cli_cmd *cmd, int status, const char *reply);

/* `zone` and other commands the daemon implements: forward argv as it is. */
int cli_ctl_run(const struct cli_cmd *cmd, int argc, char **argv, struct cli_ctx *ctx);

/*
 * A command the daemon implements, run by cli_ctl_command.  Its command
 * line: its own options (opts), then -j/--json where json_word is set,
 * -c/--config FILE (as before the command) and -h/--help, in that order in
 * the option table; then one operand where operand names it, else none.
 * Unless request is set, the daemon is sent the words, the operand, and
 * json_word after --json.  Only what differs between commands is here: the
 * getopt loop, the operand count and the forwarding are cli_ctl_command's.
 */
struct cli_ctl_spec {
	const char *words[2];		/* the control words ("friend", "list"); unused ones NULL */
	const char *json_word;		/* what --json adds ("json"); NULL: no --json */
	const char *operand;		/* the one operand, for "missing %s"; NULL: none */
	bool device;			/* the operand is a device's NAME: one DNS label, lower-cased */
	int timeout_ms;			/* how long the daemon may take (default request) */
	/* The command's own options ({0}-ended, flag NULL, val not 'j', 'c' or 'h'), or NULL. */
	const struct option *opts;
	/* Take one of opts (c its val, arg its value): CLI_OK, or an exit code after a message. */
	int (*option)(const struct cli_cmd *cmd, void *state, int c, char *arg);
	/*
	 * Once the command line is read: check what the operand and options say
	 * together, ask the daemon (cli_ctl_forward) and return the exit code.
	 * operand is NULL where the spec has none.  NULL: the default request.
	 */
	int (*request)(const struct cli_cmd *cmd, const struct cli_ctx *ctx, void *state,
		       char *operand, bool json);
};

/*
 * Run cmd as spec says: parse its command line (--help prints cmd's help and
 * exits 0, a bad one is a usage message), hand its own options and what is
 * left to spec's callbacks with state, ask the daemon and print its reply
 * (cli_ctl_forward).  Returns an exit code.
 */
int cli_ctl_command(const struct cli_cmd *cmd, int argc, char **argv, struct cli_ctx *ctx,
		    const struct cli_ctl_spec *spec, void *state);

/* Is arg a help word (--help, -h, help) where a subcommand's word would be? */
bool cli_is_help(const char *arg);

/* Parse a decimal port in [min, 65535]; -1 if it is not one. */
long cli_parse_port(const char *text, long min);

/* The longest duration cli_parse_duration accepts: 365 days. */
#define CLI_DURATION_MAX (365ull * 86400)

/*
 * Parse a duration "N" followed by one unit, s, m, h or d ("90s", "30m",
 * "1h", "2d"), into *secs: more than 0, at most CLI_DURATION_MAX.
 * Returns 0 or SP_EMALFORMED (*secs untouched).
 */
int cli_parse_duration(const char *text, uint64_t *secs) SP_MUST_CHECK;

/* Is text one DNS label of letters, digits and hyphens (a host name)? */
bool cli_is_label(const char *text);

/*
 * Normalise a zone name to absolute, lower-case presentation form
 * ("alice.example."), every label a host-name label; NULL if it is not
 * one.  The caller frees it.
 */
char *cli_zone_name(const char *text);

/* ASCII letters of text to lower case, in place. */
void cli_lower(char *text);

/* ---- DNSSEC and TSIG helpers (dnssec.c) ---- */

#define CLI_DNSKEY_TTL 3600
#define CLI_KSK_FLAGS 257
#define CLI_ZSK_FLAGS 256

/* "ed25519" or "ecdsap256sha256" to an ldns signing algorithm; 0 if unknown. */
int cli_dnssec_algorithm(const char *name);

/* A fresh key for zone (absolute name) with the given DNSKEY flags. */
int cli_dnssec_key_new(int algorithm, const char *zone, uint16_t flags,
		       ldns_key **out) SP_MUST_CHECK;

/* Write key as a BIND private-key file (ldns_key2str) of mode 0600; never overwrites. */
int cli_dnssec_key_save(const char *path, const ldns_key *key) SP_MUST_CHECK;

/* Load a private-key file (mode checked), set its owner zone and flags. */
int cli_dnssec_key_load(const char *path, const char *zone, uint16_t flags,
			ldns_key **out) SP_MUST_CHECK;

/* The DNSKEY RR of key, TTL CLI_DNSKEY_TTL; NULL on failure.  Free with ldns_rr_free. */
ldns_rr *cli_dnssec_dnskey(const ldns_key *key);

/* The SHA-256 DS of a DNSKEY RR; NULL on failure. */
ldns_rr *cli_dnssec_ds(const ldns_rr *dnskey);

/* rr as one presentation-format line, single spaces, no comment, no newline; free() it. */
char *cli_rr_str(const ldns_rr *rr);

/* Print rr as one presentation-format line, without ldns's comments. */
void cli_rr_print(FILE *f, const ldns_rr *rr);

/* Print the rdata fields of rr separated by spaces, with no owner/TTL/class. */
void cli_rdata_print(FILE *f, const ldns_rr *rr, size_t first);

/* Text of a BIND key file holding a fresh random HMAC-SHA256 TSIG key; wipe and free it. */
char *cli_tsig_key_text(const char *key_name);

/* ldns_key_deep_free that accepts NULL. */
void cli_dnssec_key_free(ldns_key *key);

/* Wipe and free a string that held a secret (NULL ok). */
void cli_free_secret(char *s);

#endif
