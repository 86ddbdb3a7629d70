using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Overlay.Netlink.Internal;

namespace Overlay.Netlink;

/// <summary>
/// Writes netlink messages and their attributes into a caller-owned span, with the message and
/// nested-attribute lengths back-patched when they are closed. Allocates nothing.
/// </summary>
/// <remarks>
/// Several messages may be written one after another into the same span (a pipelined batch):
/// call <see cref="BeginMessage"/> and <see cref="EndMessage"/> for each; <see cref="Length"/>
/// is the number of bytes written so far. Values are written in host byte order unless the
/// method name says otherwise.
/// </remarks>
public ref struct NetlinkMessageWriter
{
    /// <summary>Size of <c>struct nlmsghdr</c>.</summary>
    public const int HeaderLength = 16;

    /// <summary>Size of <c>struct nlattr</c>.</summary>
    public const int AttributeHeaderLength = 4;

    private readonly Span<byte> _buffer;
    private int _position;
    private int _messageStart;

    /// <summary>Creates a writer over <paramref name="buffer"/> with no message begun.</summary>
    /// <param name="buffer">The destination; the writer never writes outside it.</param>
    public NetlinkMessageWriter(Span<byte> buffer)
    {
        _buffer = buffer;
        _position = 0;
        _messageStart = -1;
    }

    /// <summary>Creates a writer over <paramref name="buffer"/> and begins the first message.</summary>
    /// <param name="buffer">The destination.</param>
    /// <param name="type">The message type (<c>nlmsg_type</c>).</param>
    /// <param name="flags">The message flags (<c>nlmsg_flags</c>).</param>
    /// <param name="sequence">The sequence number (<c>nlmsg_seq</c>).</param>
    public NetlinkMessageWriter(Span<byte> buffer, ushort type, NetlinkMessageFlags flags, uint sequence)
        : this(buffer)
    {
        BeginMessage(type, flags, sequence);
    }

    /// <summary>Bytes written so far (all complete messages plus the open one).</summary>
    public readonly int Length => _position;

    /// <summary>Bytes still free in the buffer.</summary>
    public readonly int Remaining => _buffer.Length - _position;

    /// <summary>True while a message is open.</summary>
    public readonly bool IsMessageOpen => _messageStart >= 0;

    /// <summary>Starts a message header; its length is patched by <see cref="EndMessage"/>.</summary>
    /// <param name="type">The message type.</param>
    /// <param name="flags">The message flags.</param>
    /// <param name="sequence">The sequence number.</param>
    public void BeginMessage(ushort type, NetlinkMessageFlags flags, uint sequence)
    {
        if (_messageStart >= 0)
        {
            ThrowHelper.ThrowInvalidOperation("A message is already open.");
        }

        Span<byte> header = Reserve(HeaderLength);
        HostOrder.WriteUInt32(header, 0);
        HostOrder.WriteUInt16(header[4..], type);
        HostOrder.WriteUInt16(header[6..], (ushort)flags);
        HostOrder.WriteUInt32(header[8..], sequence);
        HostOrder.WriteUInt32(header[12..], 0);
        _messageStart = _position - HeaderLength;
    }

    /// <summary>Closes the open message, patching <c>nlmsg_len</c>.</summary>
    /// <returns>The length of the message just closed.</returns>
    public int EndMessage()
    {
        if (_messageStart < 0)
        {
            ThrowHelper.ThrowInvalidOperation("No message is open.");
        }

        int length = _position - _messageStart;
        HostOrder.WriteUInt32(_buffer[_messageStart..], (uint)length);
        _messageStart = -1;
        return length;
    }

    /// <summary>Closes the open message and returns the total number of bytes written.</summary>
    /// <returns>The total length of everything written into the buffer.</returns>
    public int Finish()
    {
        if (_messageStart >= 0)
        {
            EndMessage();
        }

        return _position;
    }

    /// <summary>Writes a fixed-size kernel structure (host byte order), padded to 4 bytes.</summary>
    /// <typeparam name="T">An unmanaged struct laid out as the kernel's.</typeparam>
    /// <param name="value">The value.</param>
    public void WriteStruct<T>(in T value)
        where T : unmanaged
    {
        int size = Unsafe.SizeOf<T>();
        Span<byte> span = Reserve(Align(size));
        MemoryMarshal.Write(span, in value);
        span[size..].Clear();
    }

    /// <summary>Writes raw bytes into the message body, padded to 4 bytes.</summary>
    /// <param name="value">The bytes.</param>
    public void WriteBytes(scoped ReadOnlySpan<byte> value)
    {
        Span<byte> span = Reserve(Align(value.Length));
        value.CopyTo(span);
        span[value.Length..].Clear();
    }

    /// <summary>Reserves <paramref name="length"/> zeroed bytes in the message body (padded to 4) for the caller to fill.</summary>
    /// <param name="length">The unpadded length.</param>
    /// <returns>The reserved bytes (without padding).</returns>
    public Span<byte> WriteZeroes(int length)
    {
        Span<byte> span = Reserve(Align(length));
        span.Clear();
        return span[..length];
    }

    /// <summary>Writes an attribute with an arbitrary value.</summary>
    /// <param name="type">The attribute type.</param>
    /// <param name="value">The value bytes.</param>
    public void WriteAttribute(ushort type, scoped ReadOnlySpan<byte> value)
    {
        Span<byte> span = BeginAttribute(type, value.Length);
        value.CopyTo(span);
    }

    /// <summary>Writes an attribute with no value (a flag).</summary>
    /// <param name="type">The attribute type.</param>
    public void WriteFlag(ushort type) => BeginAttribute(type, 0);

    /// <summary>Writes an 8-bit attribute.</summary>
    /// <param name="type">The attribute type.</param>
    /// <param name="value">The value.</param>
    public void WriteUInt8(ushort type, byte value) => BeginAttribute(type, 1)[0] = value;

    /// <summary>Writes a 16-bit attribute in host byte order.</summary>
    /// <param name="type">The attribute type.</param>
    /// <param name="value">The value.</param>
    public void WriteUInt16(ushort type, ushort value) =>
        HostOrder.WriteUInt16(BeginAttribute(type, 2), value);

    /// <summary>Writes a 16-bit attribute in network byte order (<c>__be16</c>).</summary>
    /// <param name="type">The attribute type.</param>
    /// <param name="value">The value.</param>
    public void WriteUInt16BigEndian(ushort type, ushort value) =>
        BinaryPrimitives.WriteUInt16BigEndian(BeginAttribute(type, 2), value);

    /// <summary>Writes a 32-bit attribute in host byte order.</summary>
    /// <param name="type">The attribute type.</param>
    /// <param name="value">The value.</param>
    public void WriteUInt32(ushort type, uint value) =>
        HostOrder.WriteUInt32(BeginAttribute(type, 4), value);

    /// <summary>Writes a signed 32-bit attribute in host byte order.</summary>
    /// <param name="type">The attribute type.</param>
    /// <param name="value">The value.</param>
    public void WriteInt32(ushort type, int value) => WriteUInt32(type, unchecked((uint)value));

    /// <summary>Writes a 32-bit attribute in network byte order (<c>__be32</c>).</summary>
    /// <param name="type">The attribute type.</param>
    /// <param name="value">The value.</param>
    public void WriteUInt32BigEndian(ushort type, uint value) =>
        BinaryPrimitives.WriteUInt32BigEndian(BeginAttribute(type, 4), value);

    /// <summary>Writes a 64-bit attribute in host byte order.</summary>
    /// <param name="type">The attribute type.</param>
    /// <param name="value">The value.</param>
    public void WriteUInt64(ushort type, ulong value) =>
        HostOrder.WriteUInt64(BeginAttribute(type, 8), value);

    /// <summary>Writes a NUL-terminated ASCII/UTF-8 string attribute.</summary>
    /// <param name="type">The attribute type.</param>
    /// <param name="value">The string.</param>
    public void WriteString(ushort type, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        int count = Encoding.UTF8.GetByteCount(value);
        Span<byte> span = BeginAttribute(type, count + 1);
        Encoding.UTF8.GetBytes(value, span);
        span[count] = 0;
    }

    /// <summary>Writes a string attribute without a NUL terminator (as iproute2 sends IFLA_INFO_KIND).</summary>
    /// <param name="type">The attribute type.</param>
    /// <param name="value">The string.</param>
    public void WriteUnterminatedString(ushort type, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        Span<byte> span = BeginAttribute(type, Encoding.UTF8.GetByteCount(value));
        Encoding.UTF8.GetBytes(value, span);
    }

    /// <summary>Writes an IPv4 (4 bytes) or IPv6 (16 bytes) address attribute, network byte order.</summary>
    /// <param name="type">The attribute type.</param>
    /// <param name="address">The address.</param>
    public void WriteIPAddress(ushort type, IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        int length = AddressLength(address);
        Span<byte> span = BeginAttribute(type, length);
        address.TryWriteBytes(span, out _);
    }

    /// <summary>Writes a 6-byte MAC address attribute.</summary>
    /// <param name="type">The attribute type.</param>
    /// <param name="address">The address.</param>
    public void WriteMacAddress(ushort type, MacAddress address) =>
        address.WriteTo(BeginAttribute(type, MacAddress.Length));

    /// <summary>Opens a nested attribute; close it with <see cref="EndNested"/>.</summary>
    /// <param name="type">The attribute type (NLA_F_NESTED is not set, as iproute2 and the kernel's older parsers expect).</param>
    /// <returns>A token naming the open attribute.</returns>
    public NestedAttribute BeginNested(ushort type)
    {
        int start = _position;
        Span<byte> header = Reserve(AttributeHeaderLength);
        HostOrder.WriteUInt16(header, 0);
        HostOrder.WriteUInt16(header[2..], type);
        return new NestedAttribute(start);
    }

    /// <summary>Closes a nested attribute, patching its length (which includes the children's padding).</summary>
    /// <param name="nested">The token from <see cref="BeginNested"/>.</param>
    public void EndNested(NestedAttribute nested)
    {
        int length = _position - nested.Offset;
        if (nested.Offset < 0 || length < AttributeHeaderLength || length > ushort.MaxValue)
        {
            ThrowHelper.ThrowInvalidOperation("Invalid nested attribute token or attribute too long.");
        }

        HostOrder.WriteUInt16(_buffer[nested.Offset..], (ushort)length);
    }

    /// <summary>Rounds <paramref name="length"/> up to the netlink alignment (4).</summary>
    /// <param name="length">A length.</param>
    /// <returns>The aligned length.</returns>
    public static int Align(int length) => (length + 3) & ~3;

    internal static int AddressLength(IPAddress address) =>
        address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? 16 : 4;

    private Span<byte> BeginAttribute(ushort type, int valueLength)
    {
        int total = AttributeHeaderLength + valueLength;
        if (total > ushort.MaxValue)
        {
            ThrowHelper.ThrowArgument("Attribute value too long.");
        }

        Span<byte> span = Reserve(Align(total));
        HostOrder.WriteUInt16(span, (ushort)total);
        HostOrder.WriteUInt16(span[2..], type);
        span[total..].Clear();
        return span.Slice(AttributeHeaderLength, valueLength);
    }

    private Span<byte> Reserve(int length)
    {
        if (length > _buffer.Length - _position)
        {
            ThrowHelper.ThrowBufferTooSmall();
        }

        Span<byte> span = _buffer.Slice(_position, length);
        _position += length;
        return span;
    }
}

internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void ThrowInvalidOperation(string message) => throw new InvalidOperationException(message);

    [DoesNotReturn]
    public static void ThrowArgument(string message) => throw new ArgumentException(message);

    [DoesNotReturn]
    public static void ThrowBufferTooSmall() =>
        throw new ArgumentException("The destination buffer is too small for the netlink message.");

    [DoesNotReturn]
    public static void ThrowProtocol(string message) => throw new NetlinkProtocolException(message);
}
