using System.Buffers.Binary;

namespace Overlay.Encap;

/// <summary>A view over a UDP header (RFC 768) and the payload after it.</summary>
public readonly ref struct UdpHeader
{
    /// <summary>The header length.</summary>
    public const int Length = 8;

    private readonly Span<byte> _span;

    /// <summary>Creates a view over <paramref name="span"/>, which starts with a UDP header.</summary>
    /// <param name="span">The datagram; at least 8 bytes.</param>
    /// <exception cref="ArgumentException"><paramref name="span"/> is too short.</exception>
    public UdpHeader(Span<byte> span)
    {
        if (span.Length < Length)
        {
            ThrowHelper.ThrowTooShort(nameof(span), Length);
        }

        _span = span;
    }

    /// <summary>The underlying span.</summary>
    public Span<byte> Span => _span;

    /// <summary>The source port.</summary>
    public ushort SourcePort
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_span);
        set => BinaryPrimitives.WriteUInt16BigEndian(_span, value);
    }

    /// <summary>The destination port.</summary>
    public ushort DestinationPort
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_span[2..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_span[2..], value);
    }

    /// <summary>The length of header plus payload.</summary>
    public ushort DatagramLength
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_span[4..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_span[4..], value);
    }

    /// <summary>The checksum (host order; 0 means "none" over IPv4).</summary>
    public ushort Checksum
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_span[6..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_span[6..], value);
    }

    /// <summary>The payload (<see cref="DatagramLength"/> − 8 bytes, clamped to the span).</summary>
    public Span<byte> Payload => _span[Length..Math.Clamp(DatagramLength, Length, _span.Length)];

    /// <summary>Computes the checksum of header and payload over an IPv4 pseudo-header (a computed 0 is sent as 0xFFFF).</summary>
    /// <param name="source">The IPv4 source address bytes.</param>
    /// <param name="destination">The IPv4 destination address bytes.</param>
    /// <returns>The checksum.</returns>
    public ushort ComputeChecksumIPv4(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination)
    {
        int length = DatagramLength;
        ulong sum = InternetChecksum.PseudoHeaderSumIPv4(source, destination, IPProtocols.Udp, length);
        sum = InternetChecksum.Sum(_span[..length], sum) - Checksum;
        ushort result = InternetChecksum.Finish(sum);
        return result == 0 ? (ushort)0xFFFF : result;
    }

    /// <summary>Computes the checksum of header and payload over an IPv6 pseudo-header (a computed 0 is sent as 0xFFFF).</summary>
    /// <param name="source">The 16-byte source address.</param>
    /// <param name="destination">The 16-byte destination address.</param>
    /// <returns>The checksum.</returns>
    public ushort ComputeChecksumIPv6(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination)
    {
        int length = DatagramLength;
        ulong sum = InternetChecksum.PseudoHeaderSumIPv6(source, destination, IPProtocols.Udp, length);
        sum = InternetChecksum.Sum(_span[..length], sum) - Checksum;
        ushort result = InternetChecksum.Finish(sum);
        return result == 0 ? (ushort)0xFFFF : result;
    }

    /// <summary>Writes a UDP header with a zero checksum.</summary>
    /// <param name="destination">Where to write; at least 8 bytes.</param>
    /// <param name="sourcePort">The source port.</param>
    /// <param name="destinationPort">The destination port.</param>
    /// <param name="datagramLength">Header plus payload length.</param>
    /// <returns>The header view.</returns>
    public static UdpHeader Write(Span<byte> destination, ushort sourcePort, ushort destinationPort, ushort datagramLength)
    {
        var header = new UdpHeader(destination);
        BinaryPrimitives.WriteUInt16BigEndian(destination, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], datagramLength);
        BinaryPrimitives.WriteUInt16BigEndian(destination[6..], 0);
        return header;
    }
}
