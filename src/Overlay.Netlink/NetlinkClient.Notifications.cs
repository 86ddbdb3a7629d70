using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Overlay.Netlink.Internal;

namespace Overlay.Netlink;

public sealed partial class NetlinkClient
{
    private const int RtnlGroupLink = 1;
    private const int RtnlGroupNeighbor = 3;
    private const int RtnlGroupIPv4Address = 5;
    private const int RtnlGroupIPv4Route = 7;
    private const int RtnlGroupIPv6Address = 9;
    private const int RtnlGroupIPv6Route = 11;

    /// <summary>
    /// Subscribes to rtnetlink groups on a new socket (in the client's namespace) and yields typed
    /// change events until cancelled. The subscription is active when this method returns, so
    /// changes made afterwards are seen. A <see cref="NotificationsLost"/> event means the socket
    /// overflowed: re-list the state and diff.
    /// </summary>
    /// <param name="groups">The groups.</param>
    /// <param name="cancellationToken">Ends the stream (with <see cref="OperationCanceledException"/>).</param>
    /// <returns>The events.</returns>
    public IAsyncEnumerable<NetlinkNotification> WatchAsync(NetlinkGroups groups, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (groups == NetlinkGroups.None)
        {
            throw new ArgumentException("Choose at least one group.", nameof(groups));
        }

        var numbers = new List<int>();
        AddIf(NetlinkGroups.Link, RtnlGroupLink);
        AddIf(NetlinkGroups.Neighbor, RtnlGroupNeighbor);
        AddIf(NetlinkGroups.IPv4Address, RtnlGroupIPv4Address);
        AddIf(NetlinkGroups.IPv4Route, RtnlGroupIPv4Route);
        AddIf(NetlinkGroups.IPv6Address, RtnlGroupIPv6Address);
        AddIf(NetlinkGroups.IPv6Route, RtnlGroupIPv6Route);
        INetlinkTransport transport = OpenTransport(_options, NetlinkProtocol.Route, [.. numbers], _logger);
        return WatchCoreAsync(transport, cancellationToken);

        void AddIf(NetlinkGroups flag, int number)
        {
            if ((groups & flag) != 0)
            {
                numbers.Add(number);
            }
        }
    }

    internal async IAsyncEnumerable<NetlinkNotification> WatchCoreAsync(INetlinkTransport transport, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using (transport)
        {
            byte[] buffer = new byte[64 * 1024];
            var batch = new List<NetlinkNotification>();
            while (true)
            {
                int length;
                bool lost = false;
                try
                {
                    length = await transport.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
                }
                catch (SocketException ex) when (ex.SocketErrorCode == SocketError.NoBufferSpaceAvailable)
                {
                    Log.NotificationsLost(_logger);
                    lost = true;
                    length = 0;
                }

                if (lost)
                {
                    yield return new NotificationsLost();
                    continue;
                }

                batch.Clear();
                DecodeNotifications(buffer.AsSpan(0, length), batch);
                foreach (NetlinkNotification notification in batch)
                {
                    yield return notification;
                }
            }
        }
    }

    internal static void DecodeNotifications(ReadOnlySpan<byte> datagram, List<NetlinkNotification> into)
    {
        var reader = new NetlinkMessageReader(datagram);
        while (reader.TryRead(out NetlinkMessage message))
        {
            NetlinkChangeKind kind = message.Header.Type % 4 == 0 ? NetlinkChangeKind.Added : NetlinkChangeKind.Removed;
            switch (message.Header.Type)
            {
                case RtmType.NewLink:
                case RtmType.DelLink:
                    into.Add(new LinkNotification(kind, RtnetlinkCodec.DecodeLink(message)));
                    break;
                case RtmType.NewAddress:
                case RtmType.DelAddress:
                    into.Add(new AddressNotification(kind, RtnetlinkCodec.DecodeAddress(message)));
                    break;
                case RtmType.NewRoute:
                case RtmType.DelRoute:
                    if (RtnetlinkCodec.IsIPRoute(message))
                    {
                        into.Add(new RouteNotification(kind, RtnetlinkCodec.DecodeRoute(message)));
                    }

                    break;
                case RtmType.NewNeighbor:
                case RtmType.DelNeighbor:
                    if (RtnetlinkCodec.IsBridgeFamily(message))
                    {
                        if (RtnetlinkCodec.DecodeFdb(message) is { } entry)
                        {
                            into.Add(new FdbNotification(kind, entry));
                        }
                    }
                    else if (RtnetlinkCodec.DecodeNeighbor(message) is { } neighbor)
                    {
                        into.Add(new NeighborNotification(kind, neighbor));
                    }

                    break;
                default:
                    NetlinkClient.DecodeNftNotification(message, into);
                    break;
            }
        }
    }
}
