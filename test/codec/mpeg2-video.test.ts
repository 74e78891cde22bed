import * as assert from 'uvu/assert';
import { mpeg2PictureCodingType, mpeg2UnitRole, parseMpeg2SequenceHeader } from '../../src/codec/mpeg2-video.ts';
import { UnitRole } from '../../src/codec/nal.ts';
import { test } from '../helpers/suite.ts';

test('sequence header size, widened by the sequence extension (ISO/IEC 13818-2 §6.2.2.1, §6.3.5)', () => {
	// 720x576: horizontal_size_value 0x2D0, vertical_size_value 0x240
	const header = Uint8Array.of(0xb3, 0x2d, 0x02, 0x40, 0x33, 0xff, 0xff, 0xe0);
	assert.equal(parseMpeg2SequenceHeader(header), { width: 720, height: 576 });
	// extension id 1, horizontal_size_extension 1 (+4096), vertical_size_extension 0
	const extension = Uint8Array.of(0xb5, 0x14, 0x8a, 0x80, 0x01, 0x00);
	assert.equal(parseMpeg2SequenceHeader(header, extension), { width: 720 + 4096, height: 576 });
	assert.throws(() => parseMpeg2SequenceHeader(Uint8Array.of(0xb3, 0, 0, 0, 0, 0, 0, 0)), /zero size/);
});

test('roles: headers open an access unit, slices are the picture; picture coding type', () => {
	const roles = [0xb3, 0xb8, 0x00, 0x01, 0xaf, 0xb5, 0xb2, 0xb7].map((code) => mpeg2UnitRole(Uint8Array.of(code), 0));
	assert.equal(roles, [
		UnitRole.Opens,
		UnitRole.Opens,
		UnitRole.Opens,
		UnitRole.Picture,
		UnitRole.Picture,
		UnitRole.Inside,
		UnitRole.Inside,
		UnitRole.Inside,
	]);
	// temporal_reference 0, picture_coding_type 1 (I) and 2 (P)
	assert.is(mpeg2PictureCodingType(Uint8Array.of(0x00, 0x00, 0x0f, 0xff), 0), 1);
	assert.is(mpeg2PictureCodingType(Uint8Array.of(0x00, 0x00, 0x17, 0xff), 0), 2);
});

test.run();
