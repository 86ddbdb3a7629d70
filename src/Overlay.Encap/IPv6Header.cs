using System.Buffers.Binary;

namespace Overlay.Encap;

/// <summary>A view over the fixed 40-byte IPv6 header (RFC 8200).</summary>
public readonly ref struct IPv6Header
{
    /// <summary>The length of the fixed header.</summary>
    public const int Length = 40;

    private readonly Span<byte> _span;

    /// <summary>Creates a view over <paramref name="span"/>, which starts with an IPv6 header.</summary>
    /// <param name="span">The packet; at least 40 bytes.</param>
    /// <exception cref="ArgumentException"><paramref name="span"/> is too short.</exception>
    public IPv6Header(Span<byte> span)
    {
        if (span.Length < Length)
        {
            ThrowHelper.ThrowTooShort(nameof(span), Length);
        }

        _span = span;
    }

    /// <summary>The underlying span (header and whatever follows it).</summary>
    public Span<byte> Span => _span;

    /// <summary>The version (6).</summary>
    public int Version
    {
        get => _span[0] >> 4;
        set => _span[0] = (byte)((_span[0] & 0x0F) | (value << 4));
    }

    /// <summary>The traffic class (DSCP and ECN).</summary>
    public byte TrafficClass
    {
        get => (byte)((BinaryPrimitives.ReadUInt32BigEndian(_span) >> 20) & 0xFF);
        set
        {
            uint word = BinaryPrimitives.ReadUInt32BigEndian(_span);
            word = (word & 0xF00F_FFFF) | ((uint)value << 20);
            BinaryPrimitives.WriteUInt32BigEndian(_span, word);
        }
    }

    /// <summary>The 20-bit flow label.</summary>
    public int FlowLabel
    {
        get => (int)(BinaryPrimitives.ReadUInt32BigEndian(_span) & 0x000F_FFFF);
        set
        {
            uint word = BinaryPrimitives.ReadUInt32BigEndian(_span);
            word = (word & 0xFFF0_0000) | ((uint)value & 0x000F_FFFF);
            BinaryPrimitives.WriteUInt32BigEndian(_span, word);
        }
    }

    /// <summary>The payload length (everything after the fixed header).</summary>
    public ushort PayloadLength
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_span[4..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_span[4..], value);
    }

    /// <summary>The next header (protocol) number.</summary>
    public byte NextHeader
    {
        get => _span[6];
        set => _span[6] = value;
    }

    /// <summary>The hop limit.</summary>
    public byte HopLimit
    {
        get => _span[7];
        set => _span[7] = value;
    }

    /// <summary>The source address (16 bytes, writable).</summary>
    public Span<byte> Source => _span.Slice(8, 16);

    /// <summary>The destination address (16 bytes, writable).</summary>
    public Span<byte> Destination => _span.Slice(24, 16);

    /// <summary>The payload: <see cref="PayloadLength"/> bytes after the header, clamped to the span.</summary>
    public Span<byte> Payload => _span[Length..Math.Min(_span.Length, Length + PayloadLength)];

    /// <summary>Writes a fixed header with version 6.</summary>
    /// <param name="destination">Where to write; at least 40 bytes.</param>
    /// <param name="payloadLength">The payload length.</param>
    /// <param name="nextHeader">The next header.</param>
    /// <param name="hopLimit">The hop limit.</param>
    /// <param name="source">16-byte source address.</param>
    /// <param name="destinationAddress">16-byte destination address.</param>
    /// <param name="trafficClass">The traffic class.</param>
    /// <param name="flowLabel">The flow label.</param>
    /// <returns>The header view.</returns>
    public static IPv6Header Write(Span<byte> destination, ushort payloadLength, byte nextHeader, byte hopLimit,
        ReadOnlySpan<byte> source, ReadOnlySpan<byte> destinationAddress, byte trafficClass = 0, int flowLabel = 0)
    {
        if (source.Length != 16 || destinationAddress.Length != 16)
        {
            ThrowHelper.ThrowArgument(nameof(source), "IPv6 addresses are 16 bytes.");
        }

        var header = new IPv6Header(destination);
        BinaryPrimitives.WriteUInt32BigEndian(destination, (6u << 28) | ((uint)trafficClass << 20) | ((uint)flowLabel & 0xFFFFF));
        header.PayloadLength = payloadLength;
        header.NextHeader = nextHeader;
        header.HopLimit = hopLimit;
        source.CopyTo(header.Source);
        destinationAddress.CopyTo(header.Destination);
        return header;
    }
}
