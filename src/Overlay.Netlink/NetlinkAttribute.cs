using System.Buffers.Binary;
using System.Net;
using System.Text;
using Overlay.Netlink.Internal;

namespace Overlay.Netlink;

/// <summary>One attribute: its type and value, with typed getters that validate the length.</summary>
public readonly ref struct NetlinkAttribute
{
    /// <summary>NLA_F_NESTED.</summary>
    public const ushort NestedFlag = 0x8000;

    /// <summary>NLA_F_NET_BYTEORDER.</summary>
    public const ushort NetByteOrderFlag = 0x4000;

    /// <summary>NLA_TYPE_MASK.</summary>
    public const ushort TypeMask = 0x3FFF;

    private readonly ushort _rawType;

    /// <summary>Creates an attribute view.</summary>
    /// <param name="rawType">nla_type including the NLA_F_* bits.</param>
    /// <param name="value">The value bytes.</param>
    public NetlinkAttribute(ushort rawType, ReadOnlySpan<byte> value)
    {
        _rawType = rawType;
        Value = value;
    }

    /// <summary>The attribute type without the NLA_F_* bits.</summary>
    public ushort Type => (ushort)(_rawType & TypeMask);

    /// <summary>True when NLA_F_NESTED is set.</summary>
    public bool IsNestedFlagSet => (_rawType & NestedFlag) != 0;

    /// <summary>The value bytes.</summary>
    public ReadOnlySpan<byte> Value { get; }

    /// <summary>The value as an 8-bit integer.</summary>
    /// <returns>The value.</returns>
    public byte GetUInt8() => Checked(1)[0];

    /// <summary>The value as a host-order 16-bit integer.</summary>
    /// <returns>The value.</returns>
    public ushort GetUInt16() => HostOrder.ReadUInt16(Checked(2));

    /// <summary>The value as a network-order 16-bit integer.</summary>
    /// <returns>The value.</returns>
    public ushort GetUInt16BigEndian() => BinaryPrimitives.ReadUInt16BigEndian(Checked(2));

    /// <summary>The value as a host-order 32-bit integer.</summary>
    /// <returns>The value.</returns>
    public uint GetUInt32() => HostOrder.ReadUInt32(Checked(4));

    /// <summary>The value as a host-order signed 32-bit integer.</summary>
    /// <returns>The value.</returns>
    public int GetInt32() => HostOrder.ReadInt32(Checked(4));

    /// <summary>The value as a network-order 32-bit integer.</summary>
    /// <returns>The value.</returns>
    public uint GetUInt32BigEndian() => BinaryPrimitives.ReadUInt32BigEndian(Checked(4));

    /// <summary>The value as a host-order 64-bit integer.</summary>
    /// <returns>The value.</returns>
    public ulong GetUInt64() => HostOrder.ReadUInt64(Checked(8));

    /// <summary>The value as a string, up to the first NUL.</summary>
    /// <returns>The string.</returns>
    public string GetString()
    {
        ReadOnlySpan<byte> value = Value;
        int nul = value.IndexOf((byte)0);
        return Encoding.UTF8.GetString(nul >= 0 ? value[..nul] : value);
    }

    /// <summary>The value as an IPv4 (4 bytes) or IPv6 (16 bytes) address.</summary>
    /// <returns>The address.</returns>
    public IPAddress GetIPAddress()
    {
        if (Value.Length is not (4 or 16))
        {
            ThrowSize("4 or 16");
        }

        return new IPAddress(Value);
    }

    /// <summary>The value as a 6-byte MAC address.</summary>
    /// <returns>The address.</returns>
    public MacAddress GetMacAddress() => new(Checked(MacAddress.Length));

    /// <summary>The value as a run of nested attributes.</summary>
    /// <returns>A reader over the children.</returns>
    public NetlinkAttributeReader GetNested() => new(Value);

    private ReadOnlySpan<byte> Checked(int size)
    {
        if (Value.Length != size)
        {
            ThrowSize(size.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return Value;
    }

    private void ThrowSize(string expected) =>
        ThrowHelper.ThrowProtocol($"Attribute type {Type} has a {Value.Length}-byte value; expected {expected} bytes.");
}
