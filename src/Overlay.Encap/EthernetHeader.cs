using System.Buffers.Binary;

namespace Overlay.Encap;

/// <summary>EtherType values used by the codecs.</summary>
public static class EtherTypes
{
    /// <summary>IPv4 (0x0800).</summary>
    public const ushort IPv4 = 0x0800;

    /// <summary>ARP (0x0806).</summary>
    public const ushort Arp = 0x0806;

    /// <summary>IEEE 802.1Q VLAN tag (0x8100).</summary>
    public const ushort Vlan = 0x8100;

    /// <summary>IPv6 (0x86DD).</summary>
    public const ushort IPv6 = 0x86DD;
}

/// <summary>A view over an Ethernet II header (14 bytes: destination MAC, source MAC, EtherType).</summary>
public readonly ref struct EthernetHeader
{
    /// <summary>The header length in bytes.</summary>
    public const int Length = 14;

    private readonly Span<byte> _span;

    /// <summary>Creates a view over the first <see cref="Length"/> bytes of <paramref name="span"/>.</summary>
    /// <param name="span">The frame; at least <see cref="Length"/> bytes.</param>
    /// <exception cref="ArgumentException"><paramref name="span"/> is too short.</exception>
    public EthernetHeader(Span<byte> span)
    {
        if (span.Length < Length)
        {
            ThrowHelper.ThrowTooShort(nameof(span), Length);
        }

        _span = span[..Length];
    }

    /// <summary>The 14 header bytes.</summary>
    public Span<byte> Span => _span;

    /// <summary>The destination MAC address (6 bytes, writable).</summary>
    public Span<byte> Destination => _span[..6];

    /// <summary>The source MAC address (6 bytes, writable).</summary>
    public Span<byte> Source => _span.Slice(6, 6);

    /// <summary>The EtherType (host order).</summary>
    public ushort EtherType
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_span[12..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_span[12..], value);
    }

    /// <summary>Tries to view the start of <paramref name="frame"/> as an Ethernet header.</summary>
    /// <param name="frame">The frame.</param>
    /// <param name="header">The header view when the frame is long enough.</param>
    /// <returns><see langword="true"/> if the frame holds at least 14 bytes.</returns>
    public static bool TryRead(Span<byte> frame, out EthernetHeader header)
    {
        if (frame.Length < Length)
        {
            header = default;
            return false;
        }

        header = new EthernetHeader(frame);
        return true;
    }
}
