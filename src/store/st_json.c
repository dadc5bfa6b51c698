/*
 * st_json.c - JSON check (pure code): an explicit state machine over the
 * bytes with a stack of open containers, so hostile nesting cannot recurse.
 */
#include <stdint.h>

#include "store/st_json.h"

struct jp {
	const unsigned char *s;
	size_t len, i;
	/* One bit per open container: 1 object, 0 array. */
	uint64_t stack;
	unsigned depth;
};

static void jp_ws(struct jp *p)
{
	while (p->i < p->len && (p->s[p->i] == ' ' || p->s[p->i] == '\t' ||
				 p->s[p->i] == '\n' || p->s[p->i] == '\r'))
		p->i++;
}

static int jp_lit(struct jp *p, const char *word)
{
	for (; *word; word++, p->i++)
		if (p->i >= p->len || p->s[p->i] != (unsigned char)*word)
			return -1;
	return 0;
}

static int jp_digits(struct jp *p)
{
	size_t start = p->i;
	while (p->i < p->len && p->s[p->i] >= '0' && p->s[p->i] <= '9')
		p->i++;
	return p->i > start ? 0 : -1;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int jp_number(struct jp *p)
{
	if (p->i < p->len && p->s[p->i] == '-')
		p->i++;
	if (p->i < p->len && p->s[p->i] == '0')
		p->i++;
	else if (jp_digits(p) != 0)
		return -1;
	if (p->i < p->len && p->s[p->i] == '.') {
		p->i++;
		if (jp_digits(p) != 0)
			return -1;
	}
	if (p->i < p->len && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
		p->i++;
		if (p->i < p->len && (p->s[p->i] == '+' || p->s[p->i] == '-'))
			p->i++;
		if (jp_digits(p) != 0)
			return -1;
	}
	return 0;
}

static int jp_hex4(struct jp *p, unsigned *v)
{
	*v = 0;
	for (int k = 0; k < 4; k++, p->i++) {
		if (p->i >= p->len)
			return -1;
		unsigned c = p->s[p->i], d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			d = (c | 0x20) - 'a' + 10;
		else
			return -1;
		*v = *v << 4 | d;
	}
	return 0;
}

/* One UTF-8 sequence of 2..4 bytes starting at p->i (RFC 3629 table). */
static int jp_utf8(struct jp *p)
{
	unsigned c = p->s[p->i];
	unsigned n, lo = 0x80, hi = 0xbf;
	if (c >= 0xc2 && c <= 0xdf)
		n = 1;
	else if (c >= 0xe0 && c <= 0xef) {
		n = 2;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;	/* no surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 3;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return -1;
	p->i++;
	for (unsigned k = 0; k < n; k++, p->i++) {
		if (p->i >= p->len)
			return -1;
		unsigned b = p->s[p->i];
		if (b < (k ? 0x80 : lo) || b > (k ? 0xbf : hi))
			return -1;
	}
	return 0;
}

/* A string; p->i is at the opening quote. */
static int jp_string(struct jp *p)
{
	p->i++;
	while (p->i < p->len) {
		unsigned c = p->s[p->i];
		if (c == '"') {
			p->i++;
			return 0;
		}
		if (c < 0x20)
			return -1;
		if (c >= 0x80) {
			if (jp_utf8(p) != 0)
				return -1;
			continue;
		}
		if (c != '\\') {
			p->i++;
			continue;
		}
		if (++p->i >= p->len)
			return -1;
		c = p->s[p->i++];
		if (c != 'u') {
			if (c != '"' && c != '\\' && c != '/' && c != 'b' && c != 'f' &&
			    c != 'n' && c != 'r' && c != 't')
				return -1;
			continue;
		}
		unsigned u, u2;
		if (jp_hex4(p, &u) != 0)
			return -1;
		if (u >= 0xdc00 && u <= 0xdfff)
			return -1;	/* a low surrogate alone */
		if (u >= 0xd800 && u <= 0xdbff) {
			if (jp_lit(p, "\\u") != 0 || jp_hex4(p, &u2) != 0 ||
			    u2 < 0xdc00 || u2 > 0xdfff)
				return -1;
		}
	}
	return -1;
}

/* A scalar value at p->i (not a container). */
static int jp_scalar(struct jp *p)
{
	switch (p->s[p->i]) {
	case '"':
		return jp_string(p);
	case 't':
		return jp_lit(p, "true");
	case 'f':
		return jp_lit(p, "false");
	case 'n':
		return jp_lit(p, "null");
	default:
		return jp_number(p);
	}
}

/*
 * States of the machine:
 *   VALUE     a value is due (after '[', ',' in an array, ':' or the start)
 *   VALUE_OR_END   just after '[': a value or ']'
 *   KEY       a member name is due (after ',' in an object)
 *   KEY_OR_END     just after '{': a name or '}'
 *   AFTER     a value ended: ',' or the close of the container, or the end
 */
enum jp_state { VALUE, VALUE_OR_END, KEY, KEY_OR_END, AFTER };

static int jp_run(struct jp *p)
{
	enum jp_state st = VALUE;
	for (;;) {
		jp_ws(p);
		if (p->i >= p->len)
			return st == AFTER && p->depth == 0 ? 0 : -1;
		unsigned c = p->s[p->i];
		int in_obj = p->depth && (p->stack & 1);
		switch (st) {
		case VALUE_OR_END:
			if (c == ']') {
				p->i++;
				goto close;
			}
			/* fall through */
		case VALUE:
			if (c == '[' || c == '{') {
				if (p->depth == ST_JSON_DEPTH)
					return -1;
				p->stack = p->stack << 1 | (c == '{');
				p->depth++;
				p->i++;
				st = c == '{' ? KEY_OR_END : VALUE_OR_END;
				continue;
			}
			if (jp_scalar(p) != 0)
				return -1;
			st = AFTER;
			continue;
		case KEY_OR_END:
			if (c == '}') {
				p->i++;
				goto close;
			}
			/* fall through */
		case KEY:
			if (c != '"' || jp_string(p) != 0)
				return -1;
			jp_ws(p);
			if (jp_lit(p, ":") != 0)
				return -1;
			st = VALUE;
			continue;
		case AFTER:
			if (p->depth == 0)
				return -1;	/* something after the one value */
			if (c == ',') {
				p->i++;
				st = in_obj ? KEY : VALUE;
				continue;
			}
			if (c != (in_obj ? '}' : ']'))
				return -1;
			p->i++;
			goto close;
		}
close:
		p->stack >>= 1;
		p->depth--;
		st = AFTER;
	}
}

int st_json_check(const char *text, size_t len, size_t *where)
{
	struct jp p = { .s = (const unsigned char *)text, .len = len };
	if (jp_run(&p) == 0)
		return 0;
	if (where)
		*where = p.i < len ? p.i : len;
	return SP_EMALFORMED;
}

int st_json_utf8_plain(const char *s, size_t len)
{
	struct jp p = { .s = (const unsigned char *)s, .len = len };
	while (p.i < len) {
		unsigned c = p.s[p.i];
		if (c < 0x20 || c == 0x7f)
			return 0;
		if (c < 0x80)
			p.i++;
		else if (jp_utf8(&p) != 0)
			return 0;
	}
	return 1;
}
