using Overlay.Netlink.Internal;

namespace Overlay.Netlink;

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
