using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Overlay.Netlink.Internal;

// The fixed structures of NETLINK_XFRM (linux/xfrm.h), as the kernel lays them out on 64-bit hosts: one place
// for every field's offset (the size test checks them against the kernel's sizes, the golden tests the bytes).
// Fields are host byte order unless their name ends in "BigEndian" (network order, as the kernel's __be16/__be32).

/// <summary><c>xfrm_address_t</c>: an IPv4 address in the first 4 bytes or an IPv6 address, in network order
/// (16 bytes, aligned as the kernel's union of <c>__be32</c>).</summary>
[InlineArray(4)]
internal struct XfrmAddress
{
    /// <summary>sizeof(xfrm_address_t).</summary>
    public const int Length = 16;

    private uint _element0;

    public static XfrmAddress From(IPAddress? address)
    {
        var value = default(XfrmAddress);
        Span<uint> words = value;
        address?.TryWriteBytes(MemoryMarshal.AsBytes(words), out _);
        return value;
    }

    public readonly IPAddress ToAddress(AddressFamily family)
    {
        ReadOnlySpan<byte> bytes = MemoryMarshal.AsBytes<uint>(this);
        return new IPAddress(family == AddressFamily.InterNetworkV6 ? bytes : bytes[..4]);
    }
}

/// <summary>Network byte order for the <c>__be16</c>/<c>__be32</c> fields.</summary>
internal static class NetworkOrder
{
    public static ushort Of(ushort value) => BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(value) : value;

    public static uint Of(uint value) => BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(value) : value;
}

/// <summary><c>struct xfrm_selector</c> (56 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct XfrmSelectorStruct
{
    public const int Length = 56;

    public XfrmAddress Destination;
    public XfrmAddress Source;
    public ushort DestinationPortBigEndian;
    public ushort DestinationPortMaskBigEndian;
    public ushort SourcePortBigEndian;
    public ushort SourcePortMaskBigEndian;
    public ushort Family;
    public byte DestinationPrefixLength;
    public byte SourcePrefixLength;
    public byte Protocol;
    public int InterfaceIndex;
    public uint User;
}

/// <summary><c>struct xfrm_lifetime_cfg</c> (64 bytes): byte and packet limits, expiry times.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct XfrmLifetimeCfg
{
    public const int Length = 64;

    /// <summary>XFRM_INF.</summary>
    public const ulong Infinite = ulong.MaxValue;

    public ulong SoftByteLimit;
    public ulong HardByteLimit;
    public ulong SoftPacketLimit;
    public ulong HardPacketLimit;
    public ulong SoftAddExpiresSeconds;
    public ulong HardAddExpiresSeconds;
    public ulong SoftUseExpiresSeconds;
    public ulong HardUseExpiresSeconds;

    /// <summary>No byte or packet limits and no expiry: what ip xfrm sets by default.</summary>
    public static XfrmLifetimeCfg Unlimited => new()
    {
        SoftByteLimit = Infinite,
        HardByteLimit = Infinite,
        SoftPacketLimit = Infinite,
        HardPacketLimit = Infinite,
    };
}

/// <summary><c>struct xfrm_lifetime_cur</c> (32 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct XfrmLifetimeCur
{
    public const int Length = 32;

    public ulong Bytes;
    public ulong Packets;
    public ulong AddTime;
    public ulong UseTime;
}

/// <summary><c>struct xfrm_userpolicy_info</c> (168 bytes), the fixed part of XFRM_MSG_NEWPOLICY/UPDPOLICY.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct XfrmUserPolicyInfo
{
    public const int Length = 168;

    public XfrmSelectorStruct Selector;
    public XfrmLifetimeCfg Lifetime;
    public XfrmLifetimeCur CurrentLifetime;
    public uint Priority;
    public uint Index;
    public byte Direction;
    public byte Action;
    public byte Flags;
    public byte Share;
}

/// <summary><c>struct xfrm_userpolicy_id</c> (64 bytes), the fixed part of XFRM_MSG_DELPOLICY/GETPOLICY.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct XfrmUserPolicyId
{
    public const int Length = 64;

    public XfrmSelectorStruct Selector;
    public uint Index;
    public byte Direction;
}

/// <summary><c>struct xfrm_id</c> (24 bytes): destination, SPI and protocol of a state.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct XfrmId
{
    public const int Length = 24;

    public XfrmAddress Destination;
    public uint SpiBigEndian;
    public byte Protocol;
}

/// <summary><c>struct xfrm_user_tmpl</c> (64 bytes), one element of XFRMA_TMPL.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct XfrmUserTmpl
{
    public const int Length = 64;

    public XfrmId Id;
    public ushort Family;
    public XfrmAddress Source;
    public uint RequestId;
    public byte Mode;
    public byte Share;
    public byte Optional;
    public uint AuthenticationAlgorithms;
    public uint EncryptionAlgorithms;
    public uint CompressionAlgorithms;
}

/// <summary><c>struct xfrm_stats</c> (12 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct XfrmStats
{
    public const int Length = 12;

    public uint ReplayWindow;
    public uint Replay;
    public uint IntegrityFailed;
}

/// <summary><c>struct xfrm_usersa_info</c> (224 bytes), the fixed part of XFRM_MSG_NEWSA/UPDSA.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct XfrmUserSaInfo
{
    public const int Length = 224;

    public XfrmSelectorStruct Selector;
    public XfrmId Id;
    public XfrmAddress Source;
    public XfrmLifetimeCfg Lifetime;
    public XfrmLifetimeCur CurrentLifetime;
    public XfrmStats Stats;
    public uint Sequence;
    public uint RequestId;
    public ushort Family;
    public byte Mode;
    public byte ReplayWindow;
    public byte Flags;
}

/// <summary><c>struct xfrm_usersa_id</c> (24 bytes), the fixed part of XFRM_MSG_DELSA/GETSA.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct XfrmUserSaId
{
    public const int Length = 24;

    public XfrmAddress Destination;
    public uint SpiBigEndian;
    public ushort Family;
    public byte Protocol;
}

/// <summary><c>struct xfrm_encap_tmpl</c> (24 bytes), the value of XFRMA_ENCAP.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct XfrmEncapTmpl
{
    public const int Length = 24;

    public ushort Type;
    public ushort SourcePortBigEndian;
    public ushort DestinationPortBigEndian;
    public XfrmAddress OriginalAddress;
}

/// <summary><c>struct xfrm_mark</c> (8 bytes), the value of XFRMA_MARK.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct XfrmMarkStruct
{
    public const int Length = 8;

    public uint Value;
    public uint Mask;
}
