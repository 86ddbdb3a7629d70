using System.Buffers.Binary;
using System.Net;
using System.Runtime.CompilerServices;

namespace Overlay.Encap;

/// <summary>IP protocol numbers used by the codecs.</summary>
public static class IPProtocols
{
    /// <summary>ICMP (1).</summary>
    public const byte Icmp = 1;

    /// <summary>IP in IP (4, RFC 2003): flannel's ipip backend.</summary>
    public const byte IPIP = 4;

    /// <summary>TCP (6).</summary>
    public const byte Tcp = 6;

    /// <summary>UDP (17).</summary>
    public const byte Udp = 17;

    /// <summary>ICMPv6 (58).</summary>
    public const byte IcmpV6 = 58;
}

/// <summary>
/// A view over an IPv4 header (RFC 791). Addresses are exposed as <see cref="uint"/> in host order
/// (198.18.0.1 is 0xC6120001) so that nothing on a per-packet path allocates.
/// </summary>
public readonly ref struct IPv4Header
{
    /// <summary>The length of a header without options.</summary>
    public const int MinimumLength = 20;

    /// <summary>The largest header length (IHL 15).</summary>
    public const int MaximumLength = 60;

    /// <summary>The "don't fragment" flag in <see cref="FlagsAndFragmentOffset"/>.</summary>
    public const ushort DontFragment = 0x4000;

    /// <summary>The "more fragments" flag in <see cref="FlagsAndFragmentOffset"/>.</summary>
    public const ushort MoreFragments = 0x2000;

    private readonly Span<byte> _span;

    /// <summary>Creates a view over <paramref name="span"/>, which starts with an IPv4 header and may continue with the payload.</summary>
    /// <param name="span">The packet; at least <see cref="MinimumLength"/> bytes.</param>
    /// <exception cref="ArgumentException"><paramref name="span"/> is too short.</exception>
    public IPv4Header(Span<byte> span)
    {
        if (span.Length < MinimumLength)
        {
            ThrowHelper.ThrowTooShort(nameof(span), MinimumLength);
        }

        _span = span;
    }

    /// <summary>The underlying span (header and whatever follows it).</summary>
    public Span<byte> Span => _span;

    /// <summary>The version nibble (4 for IPv4).</summary>
    public int Version
    {
        get => _span[0] >> 4;
        set => _span[0] = (byte)((_span[0] & 0x0F) | (value << 4));
    }

    /// <summary>The header length in bytes (IHL × 4).</summary>
    public int HeaderLength
    {
        get => (_span[0] & 0x0F) * 4;
        set => _span[0] = (byte)((_span[0] & 0xF0) | ((value / 4) & 0x0F));
    }

    /// <summary>The type-of-service byte (DSCP and ECN).</summary>
    public byte TypeOfService
    {
        get => _span[1];
        set => _span[1] = value;
    }

    /// <summary>The total length of the packet (header plus payload).</summary>
    public ushort TotalLength
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_span[2..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_span[2..], value);
    }

    /// <summary>The identification field.</summary>
    public ushort Identification
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_span[4..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_span[4..], value);
    }

    /// <summary>The flags (top three bits) and the fragment offset (in 8-byte units).</summary>
    public ushort FlagsAndFragmentOffset
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_span[6..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_span[6..], value);
    }

    /// <summary>The fragment offset in 8-byte units.</summary>
    public int FragmentOffset => FlagsAndFragmentOffset & 0x1FFF;

    /// <summary>Whether the packet is a fragment (more fragments set, or a non-zero offset).</summary>
    public bool IsFragment => (FlagsAndFragmentOffset & 0x3FFF) != 0;

    /// <summary>The time to live.</summary>
    public byte TimeToLive
    {
        get => _span[8];
        set => _span[8] = value;
    }

    /// <summary>The protocol of the payload (<see cref="IPProtocols"/>).</summary>
    public byte Protocol
    {
        get => _span[9];
        set => _span[9] = value;
    }

    /// <summary>The header checksum (host order).</summary>
    public ushort HeaderChecksum
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_span[10..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_span[10..], value);
    }

    /// <summary>The source address in host order.</summary>
    public uint Source
    {
        get => BinaryPrimitives.ReadUInt32BigEndian(_span[12..]);
        set => BinaryPrimitives.WriteUInt32BigEndian(_span[12..], value);
    }

    /// <summary>The destination address in host order.</summary>
    public uint Destination
    {
        get => BinaryPrimitives.ReadUInt32BigEndian(_span[16..]);
        set => BinaryPrimitives.WriteUInt32BigEndian(_span[16..], value);
    }

    /// <summary>The source address bytes (network order, writable).</summary>
    public Span<byte> SourceBytes => _span.Slice(12, 4);

    /// <summary>The destination address bytes (network order, writable).</summary>
    public Span<byte> DestinationBytes => _span.Slice(16, 4);

    /// <summary>The header bytes (<see cref="HeaderLength"/>).</summary>
    public Span<byte> Header => _span[..Math.Min(HeaderLength, _span.Length)];

    /// <summary>The payload: from the end of the header to <see cref="TotalLength"/> (clamped to the span).</summary>
    public Span<byte> Payload
    {
        get
        {
            int header = HeaderLength;
            int end = Math.Min(TotalLength, _span.Length);
            return end > header ? _span[header..end] : [];
        }
    }

    /// <summary>Computes the header checksum over <see cref="HeaderLength"/> bytes as if the checksum field were zero.</summary>
    /// <returns>The checksum (host order).</returns>
    public ushort ComputeHeaderChecksum()
    {
        Span<byte> header = Header;
        ulong sum = InternetChecksum.Sum(header) - HeaderChecksum;
        return InternetChecksum.Finish(sum);
    }

    /// <summary>Computes and stores the header checksum.</summary>
    public void UpdateHeaderChecksum() => HeaderChecksum = ComputeHeaderChecksum();

    /// <summary>Whether the stored header checksum is correct.</summary>
    /// <returns><see langword="true"/> if the header sums to 0xFFFF.</returns>
    public bool IsHeaderChecksumValid() => InternetChecksum.Fold(InternetChecksum.Sum(Header)) == 0xFFFF;

    /// <summary>
    /// Decrements the TTL and patches the checksum incrementally (RFC 1624). The engine does not do
    /// this (the kernels forwarding on both sides already do); it is provided for routers built on the codecs.
    /// </summary>
    /// <returns>The new TTL.</returns>
    public byte DecrementTimeToLive()
    {
        ushort oldWord = BinaryPrimitives.ReadUInt16BigEndian(_span[8..]);
        _span[8]--;
        ushort newWord = BinaryPrimitives.ReadUInt16BigEndian(_span[8..]);
        HeaderChecksum = InternetChecksum.Update(HeaderChecksum, oldWord, newWord);
        return _span[8];
    }

    /// <summary>
    /// Writes a 20-byte header (no options) with the given fields and a correct checksum.
    /// </summary>
    /// <param name="destination">Where to write; at least 20 bytes.</param>
    /// <param name="totalLength">The total packet length.</param>
    /// <param name="identification">The identification field.</param>
    /// <param name="flagsAndFragmentOffset">Flags and fragment offset (e.g. <see cref="DontFragment"/>).</param>
    /// <param name="timeToLive">The TTL.</param>
    /// <param name="protocol">The payload protocol.</param>
    /// <param name="source">The source address (host order).</param>
    /// <param name="destinationAddress">The destination address (host order).</param>
    /// <param name="typeOfService">The TOS byte.</param>
    /// <returns>The header view.</returns>
    public static IPv4Header Write(Span<byte> destination, ushort totalLength, ushort identification, ushort flagsAndFragmentOffset,
        byte timeToLive, byte protocol, uint source, uint destinationAddress, byte typeOfService = 0)
    {
        if (destination.Length < MinimumLength)
        {
            ThrowHelper.ThrowTooShort(nameof(destination), MinimumLength);
        }

        destination[0] = 0x45;
        destination[1] = typeOfService;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], totalLength);
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], identification);
        BinaryPrimitives.WriteUInt16BigEndian(destination[6..], flagsAndFragmentOffset);
        destination[8] = timeToLive;
        destination[9] = protocol;
        destination[10] = 0;
        destination[11] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(destination[12..], source);
        BinaryPrimitives.WriteUInt32BigEndian(destination[16..], destinationAddress);
        var header = new IPv4Header(destination);
        header.HeaderChecksum = InternetChecksum.Finish(InternetChecksum.Sum(destination[..MinimumLength]));
        return header;
    }

    /// <summary>
    /// Validates <paramref name="packet"/> as one complete IPv4 packet: version 4, header length ≥ 20
    /// and within the packet, total length equal to the packet length, correct header checksum.
    /// </summary>
    /// <param name="packet">The candidate packet (exactly one datagram's payload).</param>
    /// <returns>The first problem found, or <see cref="IPv4Validation.Valid"/>.</returns>
    public static IPv4Validation Validate(ReadOnlySpan<byte> packet)
    {
        if (packet.Length < MinimumLength)
        {
            return IPv4Validation.TooShort;
        }

        if (packet[0] >> 4 != 4)
        {
            return IPv4Validation.BadVersion;
        }

        int headerLength = (packet[0] & 0x0F) * 4;
        if (headerLength < MinimumLength || headerLength > packet.Length)
        {
            return IPv4Validation.BadHeaderLength;
        }

        if (BinaryPrimitives.ReadUInt16BigEndian(packet[2..]) != packet.Length)
        {
            return IPv4Validation.LengthMismatch;
        }

        return InternetChecksum.Fold(InternetChecksum.Sum(packet[..headerLength])) == 0xFFFF
            ? IPv4Validation.Valid
            : IPv4Validation.BadChecksum;
    }

    /// <summary>Converts a host-order address to an <see cref="IPAddress"/> (allocates; not for per-packet use).</summary>
    /// <param name="address">The address in host order.</param>
    /// <returns>The address.</returns>
    public static IPAddress ToIPAddress(uint address)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, address);
        return new IPAddress(bytes);
    }

    /// <summary>Converts an IPv4 <see cref="IPAddress"/> to a host-order value.</summary>
    /// <param name="address">An IPv4 address (IPv4-mapped IPv6 addresses are accepted).</param>
    /// <returns>The address in host order.</returns>
    /// <exception cref="ArgumentException"><paramref name="address"/> is not IPv4.</exception>
    public static uint ToUInt32(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        Span<byte> bytes = stackalloc byte[16];
        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork || !address.TryWriteBytes(bytes, out int written) || written != 4)
        {
            ThrowHelper.ThrowArgument(nameof(address), "An IPv4 address is required.");
        }

        return BinaryPrimitives.ReadUInt32BigEndian(bytes);
    }

    /// <summary>The mask of a prefix length in host order (0 → 0, 24 → 0xFFFFFF00).</summary>
    /// <param name="prefixLength">0 to 32.</param>
    /// <returns>The mask.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint PrefixMask(int prefixLength) => prefixLength == 0 ? 0u : uint.MaxValue << (32 - prefixLength);
}

/// <summary>The result of <see cref="IPv4Header.Validate(ReadOnlySpan{byte})"/>.</summary>
public enum IPv4Validation
{
    /// <summary>A well-formed IPv4 packet.</summary>
    Valid = 0,

    /// <summary>Shorter than an IPv4 header.</summary>
    TooShort,

    /// <summary>The version nibble is not 4.</summary>
    BadVersion,

    /// <summary>The header length is below 20 or beyond the packet.</summary>
    BadHeaderLength,

    /// <summary>The total length field differs from the packet length.</summary>
    LengthMismatch,

    /// <summary>The header checksum is wrong.</summary>
    BadChecksum,
}
