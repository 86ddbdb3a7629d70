using System.Net;
using Microsoft.Extensions.Logging;
using Overlay.Encap;
using Overlay.Netlink;

namespace Overlay.Backends.IPIP.Internal;

/// <summary>
/// The user-space data path: a TUN device named like flannel's ipip device and Overlay.Encap's engine over a raw
/// protocol-4 socket bound to the interface address. Created (and re-created) on a thread inside the registration's
/// network namespace; disposal stops the engine and closes the TUN (address and routes go with the device).
/// </summary>
internal sealed class UserSpaceDataPath : IAsyncDisposable
{
    private readonly List<TunDevice> _queues;
    private readonly Task _run;
    private int _disposed;

    private UserSpaceDataPath(List<TunDevice> queues, IPIPTunnel tunnel, int index, ILogger logger)
    {
        _queues = queues;
        Tunnel = tunnel;
        Index = index;
        string device = queues[0].Name;
        _run = tunnel.RunAsync(CancellationToken.None);
        Completion = _run.ContinueWith(
            t =>
            {
                if (t.Exception is { } ex)
                {
                    IPIPLog.TunnelFailed(logger, device, ex.GetBaseException());
                }
            },
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    public IPIPTunnel Tunnel { get; }

    public int Index { get; }

    public string Name => _queues[0].Name;

    /// <summary>Whether the engine stopped with an error (e.g. its TUN device was deleted).</summary>
    public bool Failed => _run.IsFaulted;

    /// <summary>Completes when the engine stopped (never faults).</summary>
    public Task Completion { get; }

    public static async ValueTask<UserSpaceDataPath> CreateAsync(NetworkNamespace? ns, string name, IPAddress local, IPAddress icmpSource, int mtu,
        bool checkSender, IPIPBackendOptions options, ILoggerFactory loggerFactory, ILogger logger)
    {
        (List<TunDevice> queues, IPIPTunnel tunnel, int index) = ns is null
            ? Create(name, local, icmpSource, mtu, checkSender, options, loggerFactory)
            : await ns.RunAsync(() => Create(name, local, icmpSource, mtu, checkSender, options, loggerFactory)).ConfigureAwait(false);
        IPIPLog.UserSpaceDataPathCreated(logger, queues[0].Name, queues.Count, local);
        return new UserSpaceDataPath(queues, tunnel, index, logger);
    }

    /// <summary>On a thread inside the node's namespace: the TUN queues, <c>accept_local</c> on the TUN, and the engine (which opens its raw socket).</summary>
    private static (List<TunDevice>, IPIPTunnel, int) Create(string name, IPAddress local, IPAddress icmpSource, int mtu, bool checkSender,
        IPIPBackendOptions options, ILoggerFactory loggerFactory)
    {
        var queues = new List<TunDevice>();
        try
        {
            queues.Add(TunDevice.Create(new TunDeviceOptions
            {
                Name = name,
                VirtioNetHeader = options.Offloads,
                Offloads = options.Offloads ? TunOffloads.Checksum | TunOffloads.TcpSegmentationIPv4 : TunOffloads.None,
                MultiQueue = options.Queues > 1,
            }));
            for (int i = 1; i < options.Queues; i++)
            {
                queues.Add(queues[0].AttachQueue());
            }

            int index = queues[0].GetInterfaceIndex();

            // ICMP errors about unknown destinations carry the TUN's own address as source (as the udp backend and
            // flannel's proxy); the kernel accepts a local source on arrival only with accept_local on that device.
            File.WriteAllText($"/proc/sys/net/ipv4/conf/{queues[0].Name}/accept_local", "1");

            var tunnel = new IPIPTunnel(queues, new IPIPTunnelOptions
            {
                LocalAddress = local,
                LocalOverlayAddress = icmpSource,
                CheckSenderAddress = checkSender,
                MaxPacketSize = mtu,
                CoalesceTcp = options.Offloads,
                BatchSize = options.BatchSize,
                BusyPoll = options.BusyPoll,
                MeterFactory = options.MeterFactory,
            }, loggerFactory);
            return (queues, tunnel, index);
        }
        catch
        {
            foreach (TunDevice queue in queues)
            {
                queue.Dispose();
            }

            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await Tunnel.DisposeAsync().ConfigureAwait(false);
            await Completion.ConfigureAwait(false);
            foreach (TunDevice queue in _queues)
            {
                queue.Dispose();
            }
        }
    }
}
