using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Overlay.Netlink;

namespace Overlay.Lab.Internal;

/// <summary>ICMP / ICMPv6 echo from inside a network namespace, over a raw socket created there.</summary>
internal static class IcmpEcho
{
    private const byte EchoRequestV4 = 8;
    private const byte EchoReplyV4 = 0;
    private const byte EchoRequestV6 = 128;
    private const byte EchoReplyV6 = 129;
    private const int HeaderLength = 8;

    private static ReadOnlySpan<byte> Payload => "overlay lab echo payload, 32 B.."u8;

    /// <summary>Sends up to <paramref name="attempts"/> echo requests from <paramref name="source"/> (or
    /// the kernel's choice) to <paramref name="target"/>, each waiting <paramref name="timeout"/>;
    /// returns the round-trip time of the first answer, or null.</summary>
    public static async Task<TimeSpan?> PingAsync(NetworkNamespace ns, IPAddress? source, IPAddress target, int attempts, TimeSpan timeout, CancellationToken cancellationToken)
    {
        bool v6 = target.AddressFamily == AddressFamily.InterNetworkV6;
        using Socket socket = ns.CreateSocket(target.AddressFamily, SocketType.Raw, v6 ? ProtocolType.IcmpV6 : ProtocolType.Icmp);
        if (source is not null)
        {
            socket.Bind(new IPEndPoint(source, 0));
        }

        ushort id = (ushort)RandomNumberGenerator.GetInt32(1, ushort.MaxValue);
        byte[] packet = new byte[HeaderLength + Payload.Length];
        byte[] buffer = new byte[2048];
        var anyEndPoint = new IPEndPoint(v6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        var targetEndPoint = new IPEndPoint(target, 0);
        for (int attempt = 1; attempt <= attempts; attempt++)
        {
            ushort sequence = (ushort)attempt;
            Write(packet, v6, id, sequence);
            long start = Stopwatch.GetTimestamp();
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            wait.CancelAfter(timeout);
            try
            {
                await socket.SendToAsync(packet, SocketFlags.None, targetEndPoint, wait.Token).ConfigureAwait(false);
                while (true)
                {
                    SocketReceiveFromResult r = await socket.ReceiveFromAsync(buffer, SocketFlags.None, anyEndPoint, wait.Token).ConfigureAwait(false);
                    if (((IPEndPoint)r.RemoteEndPoint).Address.Equals(target) && IsReply(buffer.AsSpan(0, r.ReceivedBytes), v6, id, sequence))
                    {
                        return Stopwatch.GetElapsedTime(start);
                    }
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // no answer within the timeout: try again
            }
            catch (SocketException)
            {
                // refused locally (no route, unreachable): the attempt still takes its time slot
                TimeSpan left = timeout - Stopwatch.GetElapsedTime(start);
                if (left > TimeSpan.Zero && attempt < attempts)
                {
                    await Task.Delay(left, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        return null;
    }

    private static void Write(Span<byte> packet, bool v6, ushort id, ushort sequence)
    {
        packet.Clear();
        packet[0] = v6 ? EchoRequestV6 : EchoRequestV4;
        BinaryPrimitives.WriteUInt16BigEndian(packet[4..], id);
        BinaryPrimitives.WriteUInt16BigEndian(packet[6..], sequence);
        Payload.CopyTo(packet[HeaderLength..]);
        if (!v6)
        {
            // the kernel fills in ICMPv6 checksums itself (IPV6_CHECKSUM is on for raw ICMPv6 sockets)
            BinaryPrimitives.WriteUInt16BigEndian(packet[2..], Checksum(packet));
        }
    }

    private static bool IsReply(ReadOnlySpan<byte> received, bool v6, ushort id, ushort sequence)
    {
        ReadOnlySpan<byte> icmp = received;
        if (!v6)
        {
            if (icmp.IsEmpty)
            {
                return false;
            }

            int headerLength = (icmp[0] & 0x0F) * 4; // raw IPv4 sockets deliver the IP header
            if (headerLength > icmp.Length)
            {
                return false;
            }

            icmp = icmp[headerLength..];
        }

        return icmp.Length >= HeaderLength
            && icmp[0] == (v6 ? EchoReplyV6 : EchoReplyV4)
            && BinaryPrimitives.ReadUInt16BigEndian(icmp[4..]) == id
            && BinaryPrimitives.ReadUInt16BigEndian(icmp[6..]) == sequence;
    }

    private static ushort Checksum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        for (int i = 0; i + 1 < data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }

        if ((data.Length & 1) != 0)
        {
            sum += (uint)data[^1] << 8;
        }

        while (sum > 0xFFFF)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)~sum;
    }
}
