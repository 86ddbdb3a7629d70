using System.Net;
using System.Net.Http;
using System.Net.Sockets;

namespace Overlay.Backends.CloudRoutes;

/// <summary>
/// A connect callback for <see cref="SocketsHttpHandler.ConnectCallback"/> that refuses every connection
/// except to IP literals in 127.0.0.0/8 and the lab ranges 198.18.0.0/15 (host names are refused too:
/// resolving them is already traffic). Cloud backends switch it on in tests and demos, so that a
/// forgotten endpoint option fails loudly instead of reaching a real metadata service or cloud API.
/// </summary>
public static class LabConnectGuard
{
    private static readonly IPNetwork[] Allowed = [IPNetwork.Parse("127.0.0.0/8"), IPNetwork.Parse("198.18.0.0/15")];

    /// <summary>True when <paramref name="address"/> is one the guard lets through.</summary>
    /// <param name="address">The address.</param>
    /// <returns>True for 127.0.0.0/8 and 198.18.0.0/15 (also IPv4-mapped).</returns>
    public static bool IsAllowed(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        IPAddress v4 = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        return Allowed.Any(n => n.Contains(v4));
    }

    /// <summary>Creates a handler whose connections go through <see cref="ConnectAsync"/> when <paramref name="restrict"/> is true.</summary>
    /// <param name="restrict">Whether to guard.</param>
    /// <param name="connectTimeout">The connect timeout.</param>
    /// <returns>The handler; the caller owns it.</returns>
    public static SocketsHttpHandler CreateHandler(bool restrict, TimeSpan connectTimeout)
    {
        var handler = new SocketsHttpHandler { ConnectTimeout = connectTimeout, UseProxy = false, PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30) };
        if (restrict)
        {
            handler.ConnectCallback = ConnectAsync;
        }

        return handler;
    }

    /// <summary>The connect callback: connects only to allowed IP literals.</summary>
    /// <param name="context">The connection's context.</param>
    /// <param name="cancellationToken">Cancels the connect.</param>
    /// <returns>The connected stream.</returns>
    /// <exception cref="HttpRequestException">The endpoint is a host name or an address outside the allowed ranges.</exception>
    public static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        DnsEndPoint endPoint = context.DnsEndPoint;
        if (!IPAddress.TryParse(endPoint.Host.Trim('[', ']'), out IPAddress? address))
        {
            throw new HttpRequestException($"The lab connect guard refused {endPoint.Host}:{endPoint.Port}: only IP literals in 127.0.0.0/8 and 198.18.0.0/15 are allowed (set every endpoint option to an address).");
        }

        if (!IsAllowed(address))
        {
            throw new HttpRequestException($"The lab connect guard refused {address}:{endPoint.Port}: only 127.0.0.0/8 and 198.18.0.0/15 are allowed.");
        }

        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(new IPEndPoint(address, endPoint.Port), cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
