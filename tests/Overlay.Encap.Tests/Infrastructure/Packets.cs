using System.Buffers.Binary;
using System.Net;

namespace Overlay.Encap.Tests.Infrastructure;

/// <summary>Builds test packets with the codecs under test; tshark and independent arithmetic check them.</summary>
public static class Packets
{
    public static uint Ip(string address) => IPv4Header.ToUInt32(IPAddress.Parse(address));

    public static byte[] Udp(string source, string destination, ushort sourcePort, ushort destinationPort, byte[] payload, ushort id = 1, byte ttl = 64)
    {
        byte[] packet = new byte[20 + 8 + payload.Length];
        IPv4Header.Write(packet, (ushort)packet.Length, id, IPv4Header.DontFragment, ttl, IPProtocols.Udp, Ip(source), Ip(destination));
        var udp = UdpHeader.Write(packet.AsSpan(20), sourcePort, destinationPort, (ushort)(8 + payload.Length));
        payload.CopyTo(packet, 28);
        udp.Checksum = udp.ComputeChecksumIPv4(packet.AsSpan(12, 4), packet.AsSpan(16, 4));
        return packet;
    }

    public static byte[] Tcp(string source, string destination, ushort sourcePort, ushort destinationPort, uint sequence, uint ack, TcpFlags flags,
        byte[] payload, ushort id = 1, byte[]? options = null, bool checksum = true)
    {
        options ??= [];
        int tcpLength = 20 + options.Length;
        byte[] packet = new byte[20 + tcpLength + payload.Length];
        IPv4Header.Write(packet, (ushort)packet.Length, id, IPv4Header.DontFragment, 64, IPProtocols.Tcp, Ip(source), Ip(destination));
        var tcp = new TcpHeader(packet.AsSpan(20));
        tcp.SourcePort = sourcePort;
        tcp.DestinationPort = destinationPort;
        tcp.SequenceNumber = sequence;
        tcp.AcknowledgmentNumber = ack;
        tcp.HeaderLength = tcpLength;
        tcp.Flags = flags;
        tcp.Window = 502;
        options.CopyTo(packet, 40);
        payload.CopyTo(packet, 20 + tcpLength);
        if (checksum)
        {
            tcp.Checksum = tcp.ComputeChecksumIPv4(packet.AsSpan(12, 4), packet.AsSpan(16, 4), tcpLength + payload.Length);
        }

        return packet;
    }

    public static byte[] IcmpEcho(string source, string destination, ushort identifier, ushort sequence, byte[] payload, byte type = 8)
    {
        byte[] packet = new byte[20 + 8 + payload.Length];
        IPv4Header.Write(packet, (ushort)packet.Length, 7, 0, 64, IPProtocols.Icmp, Ip(source), Ip(destination));
        Span<byte> icmp = packet.AsSpan(20);
        icmp[0] = type;
        BinaryPrimitives.WriteUInt16BigEndian(icmp[4..], identifier);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[6..], sequence);
        payload.CopyTo(icmp[8..]);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], InternetChecksum.Compute(icmp));
        return packet;
    }

    public static byte[] Ethernet(byte[] destination, byte[] source, ushort etherType, byte[] payload)
    {
        byte[] frame = new byte[14 + payload.Length];
        var eth = new EthernetHeader(frame);
        destination.CopyTo(eth.Destination);
        source.CopyTo(eth.Source);
        eth.EtherType = etherType;
        payload.CopyTo(frame, 14);
        return frame;
    }

    public static byte[] Pattern(int length, int seed = 1)
    {
        byte[] data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    public static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);
}
