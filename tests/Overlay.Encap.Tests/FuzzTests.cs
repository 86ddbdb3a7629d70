using CsCheck;
using Overlay.Encap.Internal;
using Overlay.Encap.Tests.Infrastructure;

namespace Overlay.Encap.Tests;

/// <summary>Random bytes never crash a decoder: every decoder returns a status instead of throwing.</summary>
public sealed class FuzzTests
{
    private static readonly Gen<byte[]> RandomPackets = Gen.OneOf(
        Gen.Byte.Array[0, 2000],
        // Mostly-valid IPv4 headers with random tails reach deeper code.
        Gen.Select(Gen.Byte.Array[20, 1600], Gen.Byte[0x40, 0x4F], Gen.Byte).Select((b, v, proto) =>
        {
            b[0] = v;
            b[9] = (byte)(proto % 3 == 0 ? 6 : proto % 3 == 1 ? 17 : proto);
            if (proto % 2 == 0)
            {
                b[2] = (byte)(b.Length >> 8);
                b[3] = (byte)b.Length;
            }

            return b;
        }));

    [Fact]
    public void Decoders_never_throw_on_random_bytes()
    {
        var peers = new TunnelPeerTable();
        peers.Set(System.Net.IPNetwork.Parse("0.0.0.0/1"), new System.Net.IPEndPoint(System.Net.IPAddress.Parse("198.18.0.2"), 8285));
        var forwarder = new TunnelForwarder(peers, checkSender: true, maxPacketSize: 1500);
        byte[] output = new byte[140_000];
        var coalescer = new TcpCoalescer();
        RandomPackets.Sample(bytes =>
        {
            _ = IPv4Header.Validate(bytes);
            _ = VxlanEncapsulator.TryDecapsulate(bytes, out _);
            _ = VxlanEncapsulator.TryDecapsulateUdpPayload(bytes, out _, out _);
            _ = TcpSegmenter.Segment(bytes, 1 + (bytes.Length % 1500), output, out _, out _);
            _ = IcmpDestinationUnreachable.TryWrite(bytes, 1, output);
            _ = forwarder.DecideIngress(bytes, Packets.Ip("198.18.0.2"));
            _ = forwarder.DecideEgress(bytes, out _);
            if (IPv4Header.Validate(bytes) == IPv4Validation.Valid && coalescer.TryAdd(bytes) == CoalesceResult.Mismatch)
            {
                coalescer.Flush();
            }

            if (bytes.Length >= 20)
            {
                var ip = new IPv4Header(bytes);
                _ = ip.Payload;
                _ = ip.IsHeaderChecksumValid();
                _ = new TcpHeader(bytes).Options;
            }

            if (bytes.Length >= 8)
            {
                _ = new UdpHeader(bytes).Payload;
            }

            if (bytes.Length >= 40)
            {
                _ = new IPv6Header(bytes).Payload;
            }

            if (bytes.Length >= 10)
            {
                var h = VirtioNetHeader.Read(bytes);
                _ = VirtioNetHeader.CompleteChecksum(bytes, h.ChecksumStart, h.ChecksumOffset);
            }
        }, iter: 20_000);
        coalescer.Flush();
    }
}
