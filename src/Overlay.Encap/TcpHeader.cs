using System.Buffers.Binary;

namespace Overlay.Encap;

/// <summary>TCP header flag bits (the low byte of the flags field).</summary>
[Flags]
public enum TcpFlags : byte
{
    /// <summary>No flags.</summary>
    None = 0,

    /// <summary>FIN.</summary>
    Fin = 0x01,

    /// <summary>SYN.</summary>
    Syn = 0x02,

    /// <summary>RST.</summary>
    Rst = 0x04,

    /// <summary>PSH.</summary>
    Psh = 0x08,

    /// <summary>ACK.</summary>
    Ack = 0x10,

    /// <summary>URG.</summary>
    Urg = 0x20,

    /// <summary>ECE.</summary>
    Ece = 0x40,

    /// <summary>CWR.</summary>
    Cwr = 0x80,
}

/// <summary>A view over a TCP header (RFC 9293): the fields segmentation and coalescing need.</summary>
public readonly ref struct TcpHeader
{
    /// <summary>The length of a header without options.</summary>
    public const int MinimumLength = 20;

    /// <summary>The offset of the checksum field within the header.</summary>
    public const int ChecksumOffset = 16;

    private readonly Span<byte> _span;

    /// <summary>Creates a view over <paramref name="span"/>, which starts with a TCP header.</summary>
    /// <param name="span">The segment; at least 20 bytes.</param>
    /// <exception cref="ArgumentException"><paramref name="span"/> is too short.</exception>
    public TcpHeader(Span<byte> span)
    {
        if (span.Length < MinimumLength)
        {
            ThrowHelper.ThrowTooShort(nameof(span), MinimumLength);
        }

        _span = span;
    }

    /// <summary>The underlying span (header and payload).</summary>
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

    /// <summary>The sequence number.</summary>
    public uint SequenceNumber
    {
        get => BinaryPrimitives.ReadUInt32BigEndian(_span[4..]);
        set => BinaryPrimitives.WriteUInt32BigEndian(_span[4..], value);
    }

    /// <summary>The acknowledgment number.</summary>
    public uint AcknowledgmentNumber
    {
        get => BinaryPrimitives.ReadUInt32BigEndian(_span[8..]);
        set => BinaryPrimitives.WriteUInt32BigEndian(_span[8..], value);
    }

    /// <summary>The header length in bytes (data offset × 4).</summary>
    public int HeaderLength
    {
        get => (_span[12] >> 4) * 4;
        set => _span[12] = (byte)(((value / 4) << 4) | (_span[12] & 0x0F));
    }

    /// <summary>The flag bits.</summary>
    public TcpFlags Flags
    {
        get => (TcpFlags)_span[13];
        set => _span[13] = (byte)value;
    }

    /// <summary>The receive window.</summary>
    public ushort Window
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_span[14..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_span[14..], value);
    }

    /// <summary>The checksum (host order).</summary>
    public ushort Checksum
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_span[16..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_span[16..], value);
    }

    /// <summary>The urgent pointer.</summary>
    public ushort UrgentPointer
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_span[18..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_span[18..], value);
    }

    /// <summary>The options bytes (between the fixed header and the payload).</summary>
    public Span<byte> Options => _span[MinimumLength..Math.Max(MinimumLength, Math.Min(HeaderLength, _span.Length))];

    /// <summary>Computes the checksum over an IPv4 pseudo-header for a segment of <paramref name="segmentLength"/> bytes (header plus payload) as if the checksum field were zero.</summary>
    /// <param name="source">The IPv4 source address bytes.</param>
    /// <param name="destination">The IPv4 destination address bytes.</param>
    /// <param name="segmentLength">TCP header plus payload length.</param>
    /// <returns>The checksum.</returns>
    public ushort ComputeChecksumIPv4(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, int segmentLength)
    {
        ulong sum = InternetChecksum.PseudoHeaderSumIPv4(source, destination, IPProtocols.Tcp, segmentLength);
        sum = InternetChecksum.Sum(_span[..segmentLength], sum) - Checksum;
        return InternetChecksum.Finish(sum);
    }
}
