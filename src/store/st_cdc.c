/*
 * st_cdc.c - content-defined chunking (pure code).  st_cdc.h says how the
 * cut points are found.
 */
#include "store/st_cdc.h"

/* Cut where the top bits of the gear hash are zero: 15 of them before
 * ST_CDC_AVG (p = 2^-15 a byte), 11 after (p = 2^-11).  Top bits, since
 * bit k of h depends on the last k + 1 bytes only: bit 63 sees 64. */
#define ST_CDC_MASK_S (~0ull << (64 - 15))
#define ST_CDC_MASK_L (~0ull << (64 - 11))

/* Bytes hashed before ST_CDC_MIN without a cut check, so that the first
 * possible cut, after ST_CDC_MIN bytes, already sees a full 64-byte window. */
#define ST_CDC_WARM 64

/* splitmix64 from the seed "Signpost", written out once so there is nothing
 * to set up at run time; test_cdc recomputes it, so a slip here fails there.
 * With this table a run of zeros never cuts (test_cdc checks that too). */
const uint64_t st_cdc_gear[256] = {
	0x9f237e14e75c983full, 0x11534413b0572643ull, 0xfb8e1c7e6816241full,
	0x085450db59261d5aull, 0xa298f30afb2db617ull, 0xb6c19f3a79af6006ull,
	0xa35ddfb6d305c693ull, 0x715bdf789c2f5ffeull, 0xc5811b95c872cdfbull,
	0x5e3096478a537b56ull, 0x3b1c1fc5bee78c70ull, 0xf48007c4742a0058ull,
	0xf44a45314755f1a5ull, 0x93583018e0fed291ull, 0x50997e5e323cbabeull,
	0x18adac755e438becull, 0xa015301e9808cf2cull, 0xf3c967dac1663f79ull,
	0xca04f3f0f96e02f3ull, 0xae7488953415dd65ull, 0xf78e97ad895a6cb7ull,
	0xcd76385773eb7beeull, 0x00ad21c1d54a3255ull, 0x530beeff01313e0eull,
	0x9ecb0d4a5b804adbull, 0xdde1cde43a8e1477ull, 0xb5aaf09e6ca9e8d0ull,
	0x5ac31a05aee70dfbull, 0xbb09fce702bf5120ull, 0x9958968cdf17e871ull,
	0xc6197b3ec79243e6ull, 0xd12fcc50b705d8ffull, 0x22950b96c60ee4b5ull,
	0x2c0e91f06ca486fbull, 0x68fab21fbad15da0ull, 0x3e37ae647dcd94c7ull,
	0xc31c1e072bd4f693ull, 0xae7f3e3ef23a2ce7ull, 0x6936895e74c70c05ull,
	0xfe5d81bf84aeaa4eull, 0xb4b63287d46c9424ull, 0x764e28314d164bb8ull,
	0xbb308e034abca60full, 0x3866edd570d33ad3ull, 0x915d88988f8a89cbull,
	0x12913709c615ef70ull, 0xaeb9be54cc58c53dull, 0xd7c123301ac2929eull,
	0x161f7b20876dd414ull, 0x47e13ef093fab911ull, 0xbf12db27b52609adull,
	0x53f9fd9690ab9bd0ull, 0x717e87118d9d022full, 0x5c41dcd445c989e1ull,
	0x5de4d081c6fa501eull, 0x35aa77e7f2ee5696ull, 0x40a762fa83d0650full,
	0x146f4763fb382da8ull, 0x44e943c40a1eb3cbull, 0xa4fcf58e108b8b65ull,
	0x535511476adf718bull, 0x9fb6716c1eb7769dull, 0x0653e461dcc00bf5ull,
	0x18c9c78f3bc3be11ull, 0x8a33741c28ee1b55ull, 0x53d354a4d34ff805ull,
	0x48d36d26c5f447f5ull, 0x3043a367ecab4f08ull, 0x2d1f4a565dc4a9c1ull,
	0x3cfab5eb670a4893ull, 0xf7be74ae3aa3398aull, 0xc9a045c17a4f152aull,
	0x321d617aab86867aull, 0x1e7fb0695256375bull, 0x17e67117c4e26bbcull,
	0x6f36caa0bd5dab4bull, 0x84413fc576e905caull, 0xe1b58bb475de345bull,
	0xd703d752aa837a06ull, 0xd158e3c6653a67d7ull, 0xe6b8f6d3d6d62fb9ull,
	0xa4d4cc092e76a433ull, 0x3dac111a8ab5f9caull, 0x8097156a338623fcull,
	0x6db19887f68afd3full, 0x4d741d1231633cc6ull, 0xc176e430183d2b58ull,
	0x8ca40da63432b20eull, 0x33f5b6d960f0a151ull, 0x4d30a59c6a13c191ull,
	0xda30e17c5632c614ull, 0xb3028e7dcd5f0a3full, 0x4f42bddb56470de1ull,
	0xe26bee6b257e34a7ull, 0xc2eb731f3bfc825dull, 0x1b55361a81d6d216ull,
	0xc59891274c7e210cull, 0x18a87814932022c5ull, 0x7dc2ae8b82eff3b0ull,
	0x16cdfc7da941f31bull, 0xb79673d0d24d09f9ull, 0x0294806b6c91916full,
	0x4315dcf532772594ull, 0xe8c38ea731df78acull, 0xb4e3cc33cde402e2ull,
	0x155741a0b5847f67ull, 0x196d285fd5d722e4ull, 0xb687435b3cc6342bull,
	0x21a6d0cef5c7f27dull, 0x54d55c970a8fc8ceull, 0xba170343ad8dfe3full,
	0xf2c4f84ef20a011aull, 0x66c3a4e187238427ull, 0x2d3e7759b9a2f0bfull,
	0x6a90210823965589ull, 0x4069f6fabf4a6d11ull, 0x48904c1d027f3c83ull,
	0xced4ea6d74651133ull, 0x04ed01c33e35a568ull, 0xe42c2c42995837c2ull,
	0x1ffef3ea995c79c6ull, 0xddc65ce6b7f934b6ull, 0x3109ad9ec36d5954ull,
	0x9a4adff000f8cc29ull, 0xadbc15bed31e0eaeull, 0xfbc644daae97d196ull,
	0xc49c14e486f27d54ull, 0x90b6413509e343faull, 0x1751a86db487e256ull,
	0x8e92cf56bc1a21e9ull, 0xdc965d0dd22e1320ull, 0x6012d622ba459f58ull,
	0xfd7202d2768941ebull, 0x3346d8aae19d89efull, 0x1591b28d433f515eull,
	0xa28e017ddf06c294ull, 0x0bc15dbbc62b67dfull, 0x67b64b6419416a82ull,
	0x222c241245b24bd1ull, 0x743a7aacdda702fcull, 0x3bcddcc02a85ad86ull,
	0x7870fed96a041cd1ull, 0x2faee8d2cff433e8ull, 0x708ccb45ac78f697ull,
	0x21b658334cc21e89ull, 0x2a2bb978a49de0faull, 0xb75f4448619f67f8ull,
	0x96fffb3b73848679ull, 0x5820a14b488185b2ull, 0x64a5c756b9d44588ull,
	0xcaca5a29d4337ef6ull, 0x6ae89efa509fd072ull, 0xb09cf7ec35591c14ull,
	0x538ac58369d77a9full, 0xd852bd14650990cbull, 0x317ceb18ca0bbec5ull,
	0x20af77277bd806a0ull, 0x574a83482fa9b7a4ull, 0xa60b8584a21d7e90ull,
	0x5b9546de68b6fd29ull, 0x8ca578b30828940bull, 0xad09f84a328c2d4bull,
	0x3abbb6464fd557b6ull, 0x44f4a027f9dd3425ull, 0x9571ac375f978ba7ull,
	0x06e6dac240dd7369ull, 0x47d3701335d724b6ull, 0x07e45c3760a3d879ull,
	0xe3bb1015221a99d7ull, 0x977614667fd3f101ull, 0x39224a1ed6c4e49full,
	0x1ffdb6f8d94b04e2ull, 0x58f43e0cfc494b43ull, 0x70579141745b2f4eull,
	0xa01b95badbbaed19ull, 0x61c441d43dc03cf9ull, 0x8a55efa1a70e6785ull,
	0x0b81878925c83fefull, 0x3cdb2393fd1c006aull, 0x6397fc695444fb04ull,
	0xc404e19f1d8aa489ull, 0x42f32911e4d3f593ull, 0xdfdc1c72fc0d1db4ull,
	0xe047acffcf7ede85ull, 0x4b5705a3cce34e13ull, 0xb611bdec7fc3afc1ull,
	0x1f87de6c1df94559ull, 0x8d6d346de3592186ull, 0xae1905416862d138ull,
	0x65d3a3017c91000aull, 0xc85db19635117f91ull, 0x53c8b4279403ca61ull,
	0x3ee44500a1363c77ull, 0x8b98eec8b185ca97ull, 0xdd3eaaf146adb7b6ull,
	0x0b23995c92a84fe2ull, 0xde69c34c81a5de44ull, 0x02c734f137264e36ull,
	0x87db413338de3a5bull, 0xd4f097350d2b73d3ull, 0xa37d95410ff7479eull,
	0xbfd090f56da24892ull, 0xf39b71458cc791b9ull, 0x189908abc6bd342dull,
	0x6fe995a96421a9bcull, 0xb84fc59d40863e09ull, 0x1e435758ce5b20baull,
	0xc64ed0869b578281ull, 0x7f559aa5ccfbb72full, 0x19ce5b5892bd7a40ull,
	0x1df878505d513a6cull, 0x013bdd3ec27acac2ull, 0x5049074451f3f5e6ull,
	0x820ff1572bbe328aull, 0xccae50638ae37c02ull, 0x86bd3cadb018add1ull,
	0x9db866e6b5afa075ull, 0x0e9386008610418aull, 0xff43de9910296e2cull,
	0x986d237494de98a2ull, 0x0f6d2275af875829ull, 0x5cc308a2e4fd7c91ull,
	0x5cd2c18ff4b45320ull, 0xe4365867af5981a4ull, 0x77bc901bf470a24full,
	0x42f5205167968865ull, 0xd193b12c0a737187ull, 0x4d52c01091c7a895ull,
	0xa55fbd8ae67b383eull, 0xa335e760dcb92ddcull, 0xd98d250a7f2d9838ull,
	0x8dacea53de0c7151ull, 0xecfe51c306fbd089ull, 0x8ef4013df172f9ccull,
	0xce68bd6baea1b7e9ull, 0x2138762147e76488ull, 0xb61d5ae505c763e6ull,
	0x00317e476c2440c8ull, 0x945f4b7c519ea5d4ull, 0xc6f0aff35b4e8b6full,
	0x705431ff02d97459ull, 0x500b44acc384c0c5ull, 0xeb8d1f6242a94c74ull,
	0x2d981440dc5038a5ull, 0x02e19590ded526a7ull, 0x74d0a9f8ec8217b1ull,
	0xb2057cd872f0ba59ull, 0xe5f6a4c7ad2adef7ull, 0x3483a6c8c84c5004ull,
	0x68115164482ee516ull, 0xee184445c8c5eaf9ull, 0x5c18ac8ff5418dd2ull,
	0xc9791ce6625ade21ull, 0xb04ee8ae90599cafull, 0x3f4886bced00938dull,
	0x4bcdbb8230da2221ull,
};

size_t st_cdc_cut(const uint8_t *buf, size_t len)
{
	size_t n, normal, i;
	uint64_t h = 0;

	if (len <= ST_CDC_MIN)
		return len;
	n = len < ST_CDC_MAX ? len : ST_CDC_MAX;
	normal = n < ST_CDC_AVG ? n : ST_CDC_AVG;

	for (i = ST_CDC_MIN - ST_CDC_WARM; i < ST_CDC_MIN - 1; i++)
		h = (h << 1) + st_cdc_gear[buf[i]];
	/* A cut after buf[i] gives a chunk of i + 1 bytes: from ST_CDC_MIN. */
	for (; i < normal; i++) {
		h = (h << 1) + st_cdc_gear[buf[i]];
		if (!(h & ST_CDC_MASK_S))
			return i + 1;
	}
	for (; i < n; i++) {
		h = (h << 1) + st_cdc_gear[buf[i]];
		if (!(h & ST_CDC_MASK_L))
			return i + 1;
	}
	return n;
}

size_t st_cdc_next(const uint8_t *buf, size_t len, int eof)
{
	size_t c = st_cdc_cut(buf, len);

	/* A cut at len, short of ST_CDC_MAX, may just be where the input ran
	 * out.  Asking for more is safe even when it was a real cut: the same
	 * bytes give the same cut again. */
	if (!eof && c == len && len < ST_CDC_MAX)
		return 0;
	return c;
}
