using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Overlay.Netlink;

namespace Overlay.Agent;

/// <summary>ICMP / ICMPv6 echo from inside a network namespace, over a raw socket created there.</summary>
internal static class Icmp
{
    /// <summary>Sends up to <paramref name="attempts"/> echo requests from <paramref name="source"/> to
    /// <paramref name="target"/>, each waiting <paramref name="timeout"/>; returns the round-trip
    /// time of the first answer, or null.</summary>
    public static async Task<TimeSpan?> EchoAsync(NetworkNamespace ns, IPAddress source, IPAddress target, int attempts, TimeSpan timeout, CancellationToken cancellationToken)
    {
        bool v6 = target.AddressFamily == AddressFamily.InterNetworkV6;
        using Socket socket = ns.CreateSocket(target.AddressFamily, SocketType.Raw, v6 ? ProtocolType.IcmpV6 : ProtocolType.Icmp);
        socket.Bind(new IPEndPoint(source, 0));
        ushort id = (ushort)Random.Shared.Next(1, ushort.MaxValue);
        byte[] packet = new byte[8 + 32];
        byte[] buffer = new byte[2048];
        for (ushort sequence = 1; sequence <= attempts; sequence++)
        {
            packet.AsSpan().Clear();
            packet[0] = v6 ? (byte)128 : (byte)8; // echo request
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), id);
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(6), sequence);
            "overlay demo echo payload 32 B!!"u8.CopyTo(packet.AsSpan(8));
            if (!v6)
            {
                BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), Checksum(packet)); // the kernel fills ICMPv6 checksums itself
            }

            var stopwatch = Stopwatch.StartNew();
            await socket.SendToAsync(packet, SocketFlags.None, new IPEndPoint(target, 0), cancellationToken);
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            wait.CancelAfter(timeout);
            try
            {
                while (true)
                {
                    SocketReceiveFromResult r = await socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(v6 ? IPAddress.IPv6Any : IPAddress.Any, 0), wait.Token);
                    if (!((IPEndPoint)r.RemoteEndPoint).Address.Equals(target))
                    {
                        continue;
                    }

                    ReadOnlySpan<byte> icmp = buffer.AsSpan(0, r.ReceivedBytes);
                    if (!v6)
                    {
                        int headerLength = (icmp[0] & 0x0F) * 4; // raw IPv4 sockets deliver the IP header
                        icmp = icmp[headerLength..];
                    }

                    if (icmp.Length >= 8 && icmp[0] == (v6 ? 129 : 0)
                        && BinaryPrimitives.ReadUInt16BigEndian(icmp[4..]) == id && BinaryPrimitives.ReadUInt16BigEndian(icmp[6..]) == sequence)
                    {
                        return stopwatch.Elapsed;
                    }
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // no answer within the timeout: try again
            }
        }

        return null;
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
