using Overlay.Netlink.Internal;

namespace Overlay.Netlink;

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
