/*
 * test_index.c - the device's table of local indices (device.c): random
 * adds and deletes against a simple model, lookups of unknown indices, and
 * the handshake -> keypair switch; plus the load detector's threshold.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tunnel/device.h"

#define N 3000

static void test_index_model(void **state)
{
	(void)state;
	static struct tun_device dev;
	memset(&dev, 0, sizeof(dev));
	dev.index = calloc(TUN_INDEX_SLOTS, sizeof(*dev.index));
	assert_non_null(dev.index);
	static uint32_t idx[N];
	static bool live[N];
	struct tun_peer *fake = (struct tun_peer *)&dev;	/* only compared, never used */
	srand(7);
	for (int i = 0; i < N; i++) {
		idx[i] = tun__index_add(&dev, fake, NULL);
		assert_int_not_equal(idx[i], 0);
		live[i] = true;
	}
	for (int round = 0; round < 20000; round++) {
		int i = rand() % N;
		if (live[i]) {
			tun__index_del(&dev, idx[i]);
			live[i] = false;
		} else {
			idx[i] = tun__index_add(&dev, fake, NULL);
			live[i] = true;
		}
		if (round % 1000 == 0) {
			for (int k = 0; k < N; k++) {
				struct tun_index_entry *e = tun__index_find(&dev, idx[k]);
				if (live[k]) {
					assert_non_null(e);
					assert_int_equal(e->index, idx[k]);
				} else {
					assert_null(e);
				}
			}
		}
	}
	size_t used = 0;
	for (size_t s = 0; s < TUN_INDEX_SLOTS; s++)
		used += dev.index[s].index != 0;
	size_t want = 0;
	for (int k = 0; k < N; k++)
		want += live[k];
	assert_int_equal(used, want);
	assert_null(tun__index_find(&dev, 0));
	tun__index_del(&dev, 0);	/* ignored */
	free(dev.index);
}

static void test_index_keypair(void **state)
{
	(void)state;
	static struct tun_device dev;
	memset(&dev, 0, sizeof(dev));
	dev.index = calloc(TUN_INDEX_SLOTS, sizeof(*dev.index));
	assert_non_null(dev.index);
	struct tun_noise_keypair kp;
	struct tun_peer *fake = (struct tun_peer *)&dev;
	uint32_t i = tun__index_add(&dev, fake, NULL);
	struct tun_index_entry *e = tun__index_find(&dev, i);
	assert_non_null(e);
	assert_false(e->is_keypair);
	assert_ptr_equal(e->peer, fake);
	tun__index_set_keypair(&dev, i, &kp);
	e = tun__index_find(&dev, i);
	assert_true(e->is_keypair);
	assert_ptr_equal(e->kp, &kp);
	tun__index_set_keypair(&dev, i + 1, &kp);	/* unknown: no effect */
	tun__index_del(&dev, i);
	assert_null(tun__index_find(&dev, i));
	free(dev.index);
}

static void test_load(void **state)
{
	(void)state;
	static struct tun_device dev;
	memset(&dev, 0, sizeof(dev));
	uint64_t t = 10 * TUN_NSEC_PER_SEC;
	/* a trickle never counts as load */
	for (int i = 0; i < 50; i++)
		assert_false(tun__under_load(&dev, t + (uint64_t)i * TUN_MSEC * 20));
	/* a burst above the threshold within a second does */
	t += 2 * TUN_NSEC_PER_SEC;
	bool loaded = false;
	for (int i = 0; i <= TUN_LOAD_HANDSHAKES_PER_SEC + 1; i++)
		loaded = tun__under_load(&dev, t + (uint64_t)i * 1000);
	assert_true(loaded);
	/* ... and lasts a while after it, then ends */
	assert_true(tun__under_load(&dev, t + TUN_NSEC_PER_SEC / 2));
	assert_false(tun__under_load(&dev, t + 5 * TUN_NSEC_PER_SEC));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_index_model),
		cmocka_unit_test(test_index_keypair),
		cmocka_unit_test(test_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
