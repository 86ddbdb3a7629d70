namespace Overlay.Netlink;

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
