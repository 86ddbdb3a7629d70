using System.Buffers.Binary;

namespace Overlay.Encap;

/// <summary>
/// A view over a VXLAN header (RFC 7348, 8 bytes) with the Group Based Policy extension
/// (draft-smith-vxlan-group-policy): flags, group policy id and the 24-bit VNI.
/// </summary>
public readonly ref struct VxlanHeader
{
    /// <summary>The header length.</summary>
    public const int Length = 8;

    /// <summary>The IANA port (4789).</summary>
    public const ushort IanaPort = 4789;

    /// <summary>The Linux kernel's default port (8472), which flannel uses when no port is configured.</summary>
    public const ushort LinuxDefaultPort = 8472;

    /// <summary>The largest VNI (2^24 − 1).</summary>
    public const int MaxVni = 0xFF_FFFF;

    private const byte FlagI = 0x08;
    private const byte FlagG = 0x80;
    private const byte FlagD = 0x40;
    private const byte FlagA = 0x08;

    private readonly Span<byte> _span;

    /// <summary>Creates a view over the first 8 bytes of <paramref name="span"/>.</summary>
    /// <param name="span">At least 8 bytes.</param>
    /// <exception cref="ArgumentException"><paramref name="span"/> is too short.</exception>
    public VxlanHeader(Span<byte> span)
    {
        if (span.Length < Length)
        {
            ThrowHelper.ThrowTooShort(nameof(span), Length);
        }

        _span = span[..Length];
    }

    /// <summary>The 8 header bytes.</summary>
    public Span<byte> Span => _span;

    /// <summary>The I flag: the VNI is valid (must be set).</summary>
    public bool HasVni
    {
        get => (_span[0] & FlagI) != 0;
        set => _span[0] = (byte)(value ? _span[0] | FlagI : _span[0] & ~FlagI);
    }

    /// <summary>The G flag: the Group Based Policy extension is present.</summary>
    public bool HasGroupPolicy
    {
        get => (_span[0] & FlagG) != 0;
        set => _span[0] = (byte)(value ? _span[0] | FlagG : _span[0] & ~FlagG);
    }

    /// <summary>GBP "don't learn" (D) flag.</summary>
    public bool DontLearn
    {
        get => (_span[1] & FlagD) != 0;
        set => _span[1] = (byte)(value ? _span[1] | FlagD : _span[1] & ~FlagD);
    }

    /// <summary>GBP "policy applied" (A) flag.</summary>
    public bool PolicyApplied
    {
        get => (_span[1] & FlagA) != 0;
        set => _span[1] = (byte)(value ? _span[1] | FlagA : _span[1] & ~FlagA);
    }

    /// <summary>The 16 flag bits as Wireshark shows them (G 0x8000, I 0x0800, D 0x0040, A 0x0008).</summary>
    public ushort Flags => BinaryPrimitives.ReadUInt16BigEndian(_span);

    /// <summary>The group policy id (GBP; reserved and zero without it).</summary>
    public ushort GroupPolicyId
    {
        get => BinaryPrimitives.ReadUInt16BigEndian(_span[2..]);
        set => BinaryPrimitives.WriteUInt16BigEndian(_span[2..], value);
    }

    /// <summary>The 24-bit VXLAN network identifier.</summary>
    public int Vni
    {
        get => (int)(BinaryPrimitives.ReadUInt32BigEndian(_span[4..]) >> 8);
        set
        {
            if ((uint)value > MaxVni)
            {
                ThrowHelper.ThrowArgumentOutOfRange(nameof(value), "A VNI has 24 bits.");
            }

            BinaryPrimitives.WriteUInt32BigEndian(_span[4..], ((uint)value << 8) | _span[7]);
        }
    }

    /// <summary>Writes a VXLAN header: I flag, the VNI, and optionally the GBP fields.</summary>
    /// <param name="destination">At least 8 bytes.</param>
    /// <param name="vni">The VNI (0 to 2^24 − 1).</param>
    /// <param name="groupPolicy">The GBP extension, or <see langword="null"/> for plain VXLAN.</param>
    /// <returns>The header view.</returns>
    public static VxlanHeader Write(Span<byte> destination, int vni, VxlanGroupPolicy? groupPolicy = null)
    {
        if ((uint)vni > MaxVni)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(vni), "A VNI has 24 bits.");
        }

        var header = new VxlanHeader(destination);
        if (groupPolicy is { } gbp)
        {
            destination[0] = FlagI | FlagG;
            destination[1] = (byte)((gbp.DontLearn ? FlagD : 0) | (gbp.PolicyApplied ? FlagA : 0));
            BinaryPrimitives.WriteUInt16BigEndian(destination[2..], gbp.GroupPolicyId);
        }
        else
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)FlagI << 24);
        }

        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], (uint)vni << 8);
        return header;
    }
}

/// <summary>The Group Based Policy fields of a VXLAN header.</summary>
/// <param name="GroupPolicyId">The 16-bit group policy id.</param>
/// <param name="DontLearn">The D flag.</param>
/// <param name="PolicyApplied">The A flag.</param>
public readonly record struct VxlanGroupPolicy(ushort GroupPolicyId, bool DontLearn = false, bool PolicyApplied = false);
