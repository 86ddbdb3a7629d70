using CsCheck;

namespace Overlay.Encap.Tests;

public sealed class InternetChecksumTests
{
    [Fact]
    public void Rfc1071_example_sums_to_ddf2()
    {
        // RFC 1071 §3: the bytes 00 01 f2 03 f4 f5 f6 f7 have the ones' complement sum ddf2.
        byte[] data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        Assert.Equal(0xddf2, InternetChecksum.Fold(InternetChecksum.Sum(data)));
        Assert.Equal(0x220d, InternetChecksum.Compute(data));
    }

    [Fact]
    public void Rfc1624_example_incremental_update_gives_0000()
    {
        // RFC 1624 §4: HC = 0xdd2f, m = 0x5555 changes to m' = 0x3285; equation 3 gives 0x0000.
        Assert.Equal(0x0000, InternetChecksum.Update(0xdd2f, (ushort)0x5555, (ushort)0x3285));
    }

    [Fact]
    public void Known_ipv4_header_checksum_is_b861()
    {
        // The classic example header 4500 0073 0000 4000 4011 xxxx c0a8 0001 c0a8 00c7 has checksum b861.
        byte[] header = Convert.FromHexString("450000730000400040110000c0a80001c0a800c7");
        Assert.Equal(0xb861, InternetChecksum.Compute(header));
        var ip = new IPv4Header(header);
        ip.UpdateHeaderChecksum();
        Assert.True(ip.IsHeaderChecksumValid());
        Assert.Equal(0xb861, ip.HeaderChecksum);
    }

    [Fact]
    public void Odd_length_pads_with_zero()
    {
        byte[] odd = [0x12, 0x34, 0x56];
        byte[] padded = [0x12, 0x34, 0x56, 0x00];
        Assert.Equal(InternetChecksum.Compute(padded), InternetChecksum.Compute(odd));
    }

    [Fact]
    public void Sum_matches_a_plain_16_bit_reference_for_any_bytes()
    {
        Gen.Byte.Array[0, 3000].Sample(data =>
        {
            ulong reference = 0;
            for (int i = 0; i < data.Length; i += 2)
            {
                reference += (uint)((data[i] << 8) | (i + 1 < data.Length ? data[i + 1] : 0));
            }

            while (reference >> 16 != 0)
            {
                reference = (reference & 0xFFFF) + (reference >> 16);
            }

            Assert.Equal((ushort)reference, InternetChecksum.Fold(InternetChecksum.Sum(data)));
        });
    }

    [Fact]
    public void Incremental_update_equals_full_recomputation()
    {
        Gen.Select(Gen.Byte.Array[20], Gen.Int[1, 9], Gen.UShort).Sample((header, word, value) =>
        {
            header[0] = 0x45;
            if (word == 5)
            {
                return; // the checksum field itself
            }

            var ip = new IPv4Header(header);
            ip.UpdateHeaderChecksum();
            ushort old = (ushort)((header[word * 2] << 8) | header[(word * 2) + 1]);
            header[word * 2] = (byte)(value >> 8);
            header[(word * 2) + 1] = (byte)value;
            ushort incremental = InternetChecksum.Update(ip.HeaderChecksum, old, value);
            ip.HeaderChecksum = incremental;
            Assert.True(ip.IsHeaderChecksumValid());
        });
    }
}
