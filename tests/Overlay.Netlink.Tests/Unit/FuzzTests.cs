using Overlay.Netlink.Internal;
using Overlay.Netlink.Tests.Support;

namespace Overlay.Netlink.Tests.Unit;

/// <summary>
/// Decoding random and damaged input: every decoder either succeeds or throws
/// <see cref="NetlinkProtocolException"/> — never an index/argument exception, never a hang.
/// </summary>
public sealed class FuzzTests
{
    private static void DecodeEverything(ReadOnlySpan<byte> datagram)
    {
        var reader = new NetlinkMessageReader(datagram);
        int guard = 0;
        while (reader.TryRead(out NetlinkMessage m))
        {
            Assert.True(++guard <= datagram.Length / 16 + 1, "message reader did not advance");
            Try(m, static x => RtnetlinkCodec.DecodeLink(x));
            Try(m, static x => RtnetlinkCodec.DecodeAddress(x));
            Try(m, static x => RtnetlinkCodec.DecodeRoute(x));
            Try(m, static x => RtnetlinkCodec.DecodeNeighbor(x));
            Try(m, static x => RtnetlinkCodec.DecodeFdb(x));
            Try(m, static x => XfrmCodec.DecodePolicy(x));
            Try(m, static x => XfrmCodec.DecodeState(x));
            Try(m, static x =>
            {
                AckParser.Parse(x, out int error, out string? text, out _);
                return (object?)(error, text);
            });
            Try(m, static x =>
            {
                var list = new List<NetlinkNotification>();
                NetlinkClient.DecodeNotifications(Whole(x), list);
                return list;
            });
            WalkAttributes(m.Payload.Length > 16 ? m.Payload[16..] : m.Payload, 0);
        }
    }

    private delegate object? Decoder(NetlinkMessage message);

    private static byte[] Whole(NetlinkMessage message)
    {
        // Re-frame the message (header + payload) so the notification decoder sees a datagram.
        byte[] bytes = new byte[16 + message.Payload.Length];
        BitConverter.TryWriteBytes(bytes, (uint)bytes.Length);
        BitConverter.TryWriteBytes(bytes.AsSpan(4), message.Header.Type);
        message.Payload.CopyTo(bytes.AsSpan(16));
        return bytes;
    }

    private static void Try(NetlinkMessage message, Decoder decode)
    {
        try
        {
            _ = decode(message);
        }
        catch (NetlinkProtocolException)
        {
        }
    }

    private static void WalkAttributes(ReadOnlySpan<byte> bytes, int depth)
    {
        try
        {
            var reader = new NetlinkAttributeReader(bytes);
            while (reader.TryRead(out NetlinkAttribute a))
            {
                TryGet(a);
                if (depth < 4)
                {
                    WalkAttributes(a.Value, depth + 1);
                }
            }
        }
        catch (NetlinkProtocolException)
        {
        }
    }

    private static void TryGet(NetlinkAttribute a)
    {
        try { _ = a.GetUInt8(); } catch (NetlinkProtocolException) { }
        try { _ = a.GetUInt16(); } catch (NetlinkProtocolException) { }
        try { _ = a.GetUInt32BigEndian(); } catch (NetlinkProtocolException) { }
        try { _ = a.GetUInt64(); } catch (NetlinkProtocolException) { }
        try { _ = a.GetIPAddress(); } catch (NetlinkProtocolException) { }
        try { _ = a.GetMacAddress(); } catch (NetlinkProtocolException) { }
        _ = a.GetString();
    }

    private static void DecodeGuarded(ReadOnlySpan<byte> datagram)
    {
        try
        {
            DecodeEverything(datagram);
        }
        catch (NetlinkProtocolException)
        {
        }
    }

    [Fact]
    public void Random_bytes_never_escape_as_anything_but_protocol_exceptions()
    {
        var random = new Random(20261123);
        byte[] buffer = new byte[600];
        int protocolErrors = 0;
        for (int i = 0; i < 20_000; i++)
        {
            int length = random.Next(0, buffer.Length);
            random.NextBytes(buffer.AsSpan(0, length));
            if (length >= 16 && random.Next(2) == 0)
            {
                // Plausible header: a length that fits, so decoders get past the first check.
                BitConverter.TryWriteBytes(buffer, (uint)random.Next(16, length + 1));
            }

            try
            {
                DecodeEverything(buffer.AsSpan(0, length));
            }
            catch (NetlinkProtocolException)
            {
                protocolErrors++;
            }
        }

        Assert.InRange(protocolErrors, 1, 19_999);
    }

    public static TheoryData<string> CaptureNames() =>
        [.. Directory.GetFiles(StraceCapture.Directory, "*.strace").Select(p => Path.GetFileNameWithoutExtension(p))];

    [Theory]
    [MemberData(nameof(CaptureNames))]
    public void Truncated_and_bit_flipped_real_messages_are_handled(string capture)
    {
        var random = new Random(capture.GetHashCode(StringComparison.Ordinal));
        StraceCapture c = StraceCapture.Load(capture);
        Assert.NotEmpty(c.Buffers);
        foreach (byte[] buffer in c.Buffers)
        {
            DecodeEverything(buffer); // the intact buffer decodes without any exception

            for (int cut = 0; cut < buffer.Length; cut++)
            {
                DecodeGuarded(buffer.AsSpan(0, cut));
            }

            byte[] copy = new byte[buffer.Length];
            for (int i = 0; i < 300; i++)
            {
                buffer.CopyTo(copy, 0);
                copy[random.Next(copy.Length)] ^= (byte)(1 << random.Next(8));
                copy[random.Next(copy.Length)] = (byte)random.Next(256);
                DecodeGuarded(copy);
            }
        }
    }

    [Fact]
    public void Attribute_with_impossible_length_is_a_protocol_exception()
    {
        byte[] attribute = [0xFF, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00];
        Assert.Throws<NetlinkProtocolException>(() =>
        {
            var reader = new NetlinkAttributeReader(attribute);
            reader.TryRead(out _);
        });
        byte[] tooShort = [0x02, 0x00, 0x01, 0x00];
        var ex = Assert.Throws<NetlinkProtocolException>(() =>
        {
            var reader = new NetlinkAttributeReader(tooShort);
            reader.TryRead(out _);
        });
        Assert.Contains("attribute type 1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Typed_getter_with_wrong_size_names_the_attribute()
    {
        byte[] attribute = [0x06, 0x00, 0x04, 0x00, 0x01, 0x02, 0x00, 0x00];
        var ex = Assert.Throws<NetlinkProtocolException>(() =>
        {
            var reader = new NetlinkAttributeReader(attribute);
            Assert.True(reader.TryRead(out NetlinkAttribute a));
            a.GetUInt32();
        });
        Assert.Contains("type 4", ex.Message, StringComparison.Ordinal);
        Assert.Contains("2-byte", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Random_replies_to_a_request_end_in_success_or_a_netlink_exception()
    {
        var random = new Random(4242);
        var outcomes = new Dictionary<string, int>();
        for (int i = 0; i < 2000; i++)
        {
            byte[] junk = new byte[random.Next(0, 200)];
            random.NextBytes(junk);
            if (junk.Length >= 16 && random.Next(2) == 0)
            {
                BitConverter.TryWriteBytes(junk, (uint)random.Next(16, junk.Length + 1));
            }

            var kernel = new FakeKernel();
            bool sameSequence = random.Next(2) == 0;
            kernel.OnSend = sent =>
            {
                uint seq = FakeKernel.Messages(sent)[0].Sequence;
                if (sameSequence && junk.Length >= 16)
                {
                    BitConverter.TryWriteBytes(junk.AsSpan(8), seq);
                    BitConverter.TryWriteBytes(junk.AsSpan(4), (ushort)random.Next(1, 30));
                }

                return [junk, FakeKernel.Ack(seq)];
            };
            using NetlinkClient client = NetlinkClient.CreateForTest(kernel);
            string outcome;
            try
            {
                await client.RouteAddAsync(new Route { Destination = System.Net.IPNetwork.Parse("198.19.0.0/16"), Type = RouteType.Blackhole }, TestContext.Current.CancellationToken);
                outcome = "ok";
            }
            catch (NetlinkProtocolException)
            {
                outcome = "protocol";
            }
            catch (NetlinkException)
            {
                outcome = "kernel error";
            }

            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }

        Assert.True(outcomes.ContainsKey("ok"));
        Assert.True(outcomes.ContainsKey("protocol"));
    }
}
