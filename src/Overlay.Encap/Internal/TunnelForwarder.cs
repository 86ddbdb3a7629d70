using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Overlay.Encap.Internal;

/// <summary>
/// The per-packet decisions of the UDP tunnel, free of I/O so they can be tested and measured alone:
/// where an outbound packet goes, and whether an inbound datagram may be delivered.
/// </summary>
internal sealed class TunnelForwarder
{
    private readonly TunnelPeerTable _peers;
    private readonly bool _checkSender;
    private readonly int _maxPacketSize;

    public TunnelForwarder(TunnelPeerTable peers, bool checkSender, int maxPacketSize)
    {
        _peers = peers;
        _checkSender = checkSender;
        _maxPacketSize = maxPacketSize;
    }

    /// <summary>Decides where an IPv4 packet read from the TUN goes. Returns -1 to forward to <paramref name="peer"/>, otherwise the drop reason.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int DecideEgress(ReadOnlySpan<byte> packet, out TunnelPeerTable.PeerEntry peer)
    {
        if (packet.Length < IPv4Header.MinimumLength || packet[0] >> 4 != 4)
        {
            peer = default;
            return (int)TunnelDropReason.NotIPv4;
        }

        return _peers.TryLookup(BinaryPrimitives.ReadUInt32BigEndian(packet[16..]), out peer) ? -1 : (int)TunnelDropReason.NoRoute;
    }

    /// <summary>Decides whether a datagram (one inner packet) from <paramref name="senderAddress"/> (host order) may be written to the TUN. Returns -1 to deliver, otherwise the drop reason.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int DecideIngress(ReadOnlySpan<byte> datagram, uint senderAddress) => DecideIngress(datagram, senderAddress, out _);

    /// <summary>As <see cref="DecideIngress(ReadOnlySpan{byte}, uint)"/>; on delivery, <paramref name="owner"/> is the peer whose subnet holds the inner source.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int DecideIngress(ReadOnlySpan<byte> datagram, uint senderAddress, out TunnelPeerTable.PeerEntry owner)
    {
        owner = default;
        if (datagram.Length > _maxPacketSize)
        {
            return (int)TunnelDropReason.Oversize;
        }

        switch (IPv4Header.Validate(datagram))
        {
            case IPv4Validation.Valid:
                break;
            case IPv4Validation.TooShort:
                return (int)TunnelDropReason.TooShort;
            case IPv4Validation.BadVersion:
                return (int)TunnelDropReason.BadVersion;
            case IPv4Validation.BadHeaderLength:
                return (int)TunnelDropReason.BadHeaderLength;
            case IPv4Validation.LengthMismatch:
                return (int)TunnelDropReason.LengthMismatch;
            default:
                return (int)TunnelDropReason.BadChecksum;
        }

        uint innerSource = BinaryPrimitives.ReadUInt32BigEndian(datagram[12..]);
        if (_peers.TryLookup(innerSource, out owner) && (!_checkSender || owner.Address == senderAddress))
        {
            return -1;
        }

        owner = default;

        if (!_checkSender)
        {
            return (int)TunnelDropReason.SourceNotInPeerSubnet;
        }

        return _peers.IsKnownEndpointAddress(senderAddress)
            ? (int)TunnelDropReason.SourceNotInPeerSubnet
            : (int)TunnelDropReason.UnknownSender;
    }
}
