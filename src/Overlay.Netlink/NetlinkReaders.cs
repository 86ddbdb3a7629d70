using System.Buffers.Binary;
using System.Net;
using System.Text;
using Overlay.Netlink.Internal;

namespace Overlay.Netlink;

/// <summary>The fixed header of a netlink message (<c>struct nlmsghdr</c>).</summary>
/// <param name="Length">nlmsg_len: the message length including this header.</param>
/// <param name="Type">nlmsg_type.</param>
/// <param name="Flags">nlmsg_flags.</param>
/// <param name="Sequence">nlmsg_seq.</param>
/// <param name="PortId">nlmsg_pid.</param>
public readonly record struct NetlinkMessageHeader(int Length, ushort Type, NetlinkMessageFlags Flags, uint Sequence, uint PortId);

/// <summary>One netlink message inside a received datagram.</summary>
public readonly ref struct NetlinkMessage
{
    /// <summary>Creates a message view.</summary>
    /// <param name="header">The header.</param>
    /// <param name="payload">The bytes after the header (up to nlmsg_len).</param>
    public NetlinkMessage(NetlinkMessageHeader header, ReadOnlySpan<byte> payload)
    {
        Header = header;
        Payload = payload;
    }

    /// <summary>The header.</summary>
    public NetlinkMessageHeader Header { get; }

    /// <summary>The bytes after the header.</summary>
    public ReadOnlySpan<byte> Payload { get; }

    /// <summary>Attributes following a fixed family header of <paramref name="fixedHeaderLength"/> bytes.</summary>
    /// <param name="fixedHeaderLength">Size of the family header (e.g. 16 for <c>ifinfomsg</c>).</param>
    /// <returns>An attribute reader.</returns>
    /// <exception cref="NetlinkProtocolException">The payload is shorter than the family header.</exception>
    public NetlinkAttributeReader GetAttributes(int fixedHeaderLength)
    {
        if (Payload.Length < fixedHeaderLength)
        {
            ThrowHelper.ThrowProtocol($"Message type {Header.Type}: payload of {Payload.Length} bytes is shorter than its {fixedHeaderLength}-byte family header.");
        }

        return new NetlinkAttributeReader(Payload[Math.Min(NetlinkMessageWriter.Align(fixedHeaderLength), Payload.Length)..]);
    }

    /// <summary>The payload's first bytes, checked to be at least <paramref name="length"/> long.</summary>
    /// <param name="length">The required length.</param>
    /// <returns>The first <paramref name="length"/> bytes of the payload.</returns>
    /// <exception cref="NetlinkProtocolException">The payload is shorter.</exception>
    public ReadOnlySpan<byte> GetFixedHeader(int length)
    {
        if (Payload.Length < length)
        {
            ThrowHelper.ThrowProtocol($"Message type {Header.Type}: payload of {Payload.Length} bytes is shorter than its {length}-byte family header.");
        }

        return Payload[..length];
    }
}

/// <summary>Iterates the netlink messages packed in one datagram.</summary>
public ref struct NetlinkMessageReader
{
    private ReadOnlySpan<byte> _remaining;

    /// <summary>Creates a reader over a received datagram.</summary>
    /// <param name="datagram">The bytes.</param>
    public NetlinkMessageReader(ReadOnlySpan<byte> datagram) => _remaining = datagram;

    /// <summary>Reads the next message.</summary>
    /// <param name="message">The message, when the method returns true.</param>
    /// <returns>False at the end of the datagram.</returns>
    /// <exception cref="NetlinkProtocolException">A header is truncated or its length is impossible.</exception>
    public bool TryRead(out NetlinkMessage message)
    {
        if (_remaining.IsEmpty)
        {
            message = default;
            return false;
        }

        if (_remaining.Length < NetlinkMessageWriter.HeaderLength)
        {
            ThrowHelper.ThrowProtocol($"Truncated netlink message header: {_remaining.Length} bytes left.");
        }

        uint length = HostOrder.ReadUInt32(_remaining);
        if (length < NetlinkMessageWriter.HeaderLength || length > (uint)_remaining.Length)
        {
            ThrowHelper.ThrowProtocol($"Invalid nlmsg_len {length} with {_remaining.Length} bytes left.");
        }

        var header = new NetlinkMessageHeader(
            (int)length,
            HostOrder.ReadUInt16(_remaining[4..]),
            (NetlinkMessageFlags)HostOrder.ReadUInt16(_remaining[6..]),
            HostOrder.ReadUInt32(_remaining[8..]),
            HostOrder.ReadUInt32(_remaining[12..]));
        message = new NetlinkMessage(header, _remaining[NetlinkMessageWriter.HeaderLength..(int)length]);
        int advance = Math.Min(NetlinkMessageWriter.Align((int)length), _remaining.Length);
        _remaining = _remaining[advance..];
        return true;
    }
}

/// <summary>Iterates netlink attributes (<c>struct nlattr</c> + value, 4-byte aligned).</summary>
public ref struct NetlinkAttributeReader
{
    private ReadOnlySpan<byte> _remaining;

    /// <summary>Creates a reader over a run of attributes.</summary>
    /// <param name="attributes">The bytes.</param>
    public NetlinkAttributeReader(ReadOnlySpan<byte> attributes) => _remaining = attributes;

    /// <summary>Reads the next attribute.</summary>
    /// <param name="attribute">The attribute, when the method returns true.</param>
    /// <returns>False when no attribute is left.</returns>
    /// <exception cref="NetlinkProtocolException">An attribute header is truncated or its length is impossible.</exception>
    public bool TryRead(out NetlinkAttribute attribute)
    {
        if (_remaining.IsEmpty)
        {
            attribute = default;
            return false;
        }

        if (_remaining.Length < NetlinkMessageWriter.AttributeHeaderLength)
        {
            ThrowHelper.ThrowProtocol($"Truncated attribute header: {_remaining.Length} bytes left.");
        }

        ushort length = HostOrder.ReadUInt16(_remaining);
        ushort rawType = HostOrder.ReadUInt16(_remaining[2..]);
        if (length < NetlinkMessageWriter.AttributeHeaderLength || length > _remaining.Length)
        {
            ThrowHelper.ThrowProtocol($"Invalid length {length} of attribute type {rawType & NetlinkAttribute.TypeMask} with {_remaining.Length} bytes left.");
        }

        attribute = new NetlinkAttribute(rawType, _remaining[NetlinkMessageWriter.AttributeHeaderLength..length]);
        int advance = Math.Min(NetlinkMessageWriter.Align(length), _remaining.Length);
        _remaining = _remaining[advance..];
        return true;
    }
}

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
