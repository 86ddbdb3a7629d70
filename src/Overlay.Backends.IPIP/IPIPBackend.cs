using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Overlay.Backends.IPIP.Internal;
using Overlay.Netlink;
using Overlay.Subnets;

namespace Overlay.Backends.IPIP;

/// <summary>
/// flannel's ipip backend: per peer the route <c>&lt;peer subnet&gt; via &lt;peer public IP&gt; dev
/// flannel.ipip onlink</c> (or, with DirectRouting and an on-link peer, a direct route on the external interface), the
/// lease <c>BackendType</c> <c>ipip</c> with <c>PublicIP</c> = the public address and no BackendData, so flanneld ipip
/// nodes and ours share a cluster. Two data paths, one configuration: the kernel's ipip device (kind ipip, local = the
/// interface address, no remote, ttl inherit, pmtudisc off, MTU = underlay − 20) where the kernel has ipip; otherwise
/// (probed at registration, or forced with <see cref="IPIPBackendOptions.DataPath"/>) a TUN device with the same name,
/// address, MTU and routes and Overlay.Encap's engine sending the same IP-in-IP packets over a raw protocol-4 socket.
/// </summary>
public sealed class IPIPBackend : IOverlayBackend
{
    /// <summary>The outer IPv4 header subtracted from the underlay MTU.</summary>
    public const int Overhead = 20;

    /// <summary>The device the kernel's ipip module creates as its fallback receiver.</summary>
    public const string KernelFallbackDevice = "tunl0";

    private readonly IPIPBackendOptions _options;

    /// <summary>Creates the backend with default options (data path chosen by probing the kernel).</summary>
    public IPIPBackend()
        : this(new IPIPBackendOptions())
    {
    }

    /// <summary>Creates the backend.</summary>
    /// <param name="options">Host-side settings (data path, user-space queues and offloads, meter).</param>
    public IPIPBackend(IPIPBackendOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    /// <inheritdoc />
    public string Type => IPIPBackendConfig.TypeName;

    /// <inheritdoc />
    /// <remarks>
    /// Validates everything first, then prepares the device (kernel mode: creates <c>flannel.ipip</c>, which is also
    /// the probe: a kernel without ipip answers EOPNOTSUPP and, unless the kernel data path is forced, the user-space
    /// one is used, logged once with the reason), acquires the lease, then puts <c>&lt;subnet&gt;/32</c> on the device
    /// and sets it up (user space: creates the TUN and the engine first). Peers are programmed by <c>RunAsync</c>.
    /// </remarks>
    /// <exception cref="NetworkRegistrationException">IPv4 is not enabled (an IPv6-only network), the interface has no
    /// IPv4 address or too small an MTU, a foreign device has the name, or the kernel data path is forced on a kernel
    /// without ipip (all permanent).</exception>
    public async ValueTask<IOverlayNetwork> RegisterNetworkAsync(NetworkRegistration registration, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(registration);
        registration.Validate();
        _options.Validate();
        ILogger logger = registration.LoggerFactory.CreateLogger<IPIPBackend>();
        NetworkConfig network = registration.Config;
        ExternalInterface external = registration.ExternalInterface;
        IPIPBackendConfig config = IPIPBackendConfig.Parse(network.Backend);
        if (!network.EnableIPv4 || network.Network is null)
        {
            throw NetworkRegistrationException.Permanent(Type, network.EnableIPv6
                ? "The ipip backend carries IPv4 only (as flannel's): an IPv6-only network cannot use it; use vxlan or host-gw, or enable IPv4."
                : "The ipip backend carries IPv4 only: enable IPv4 and set Network.");
        }

        if (network.EnableIPv6)
        {
            IPIPLog.IPv6NotCarried(logger);
        }

        if (external.Address is not { AddressFamily: AddressFamily.InterNetwork } interfaceAddress)
        {
            throw NetworkRegistrationException.Permanent(Type, $"The ipip backend sends from the interface's IPv4 address (the tunnel's local address), and {external.Name} has none.");
        }

        int mtu = external.Mtu - Overhead;
        if (mtu < 68)
        {
            throw NetworkRegistrationException.Permanent(Type, $"The underlay MTU {external.Mtu} of {external.Name} leaves {mtu} bytes for IPv4 inside the tunnel; at least 68 are needed.");
        }

        _ = registration.CreateLeaseAttributes(Type); // fails now, before any device, when a family has no public address
        NetlinkClient netlink = registration.OpenNetlinkClient();
        UserSpaceDataPath? userSpace = null;
        try
        {
            var kernel = new NetlinkIPIPKernel(netlink);
            var device = new IPIPDevice(kernel, _options.DeviceName, interfaceAddress, mtu, network, logger);
            bool useUserSpace = await PrepareAsync(kernel, device, logger, cancellationToken).ConfigureAwait(false);

            Lease lease = await registration.Registry.AcquireLeaseAsync(registration.CreateLeaseRequest(registration.CreateLeaseAttributes(Type)), cancellationToken).ConfigureAwait(false);
            IPNetwork subnet = lease.Subnet ?? throw NetworkRegistrationException.Permanent(Type, $"The lease {lease.Key} has no IPv4 subnet.");
            device.Subnet = subnet;
            if (useUserSpace)
            {
                userSpace = await UserSpaceDataPath.CreateAsync(registration.NetlinkOptions.NetworkNamespace, _options.DeviceName, interfaceAddress, subnet.BaseAddress, mtu,
                    config.CheckSenderAddress, _options, registration.LoggerFactory, logger).ConfigureAwait(false);
                await IPIPNetwork.ConfigureTunAsync(kernel, device, userSpace.Index, mtu, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                _ = await device.EnsureAsync(cancellationToken).ConfigureAwait(false);
            }

            var settings = new IPIPNetworkSettings(subnet, mtu, interfaceAddress, config.DirectRouting, config.CheckSenderAddress, useUserSpace);
            IPIPLog.NetworkRegistered(logger, lease.Key, useUserSpace ? "user-space" : "kernel", _options.DeviceName, subnet.BaseAddress, mtu, interfaceAddress, config.DirectRouting);
            return new IPIPNetwork(registration, lease, netlink, kernel, settings, device, userSpace, _options, logger);
        }
        catch
        {
            if (userSpace is not null)
            {
                await userSpace.DisposeAsync().ConfigureAwait(false);
            }

            netlink.Dispose();
            throw;
        }
    }

    /// <summary>Chooses the data path; kernel mode creates the device (the probe). Returns true for user space.</summary>
    internal async ValueTask<bool> PrepareAsync(IIPIPKernel kernel, IPIPDevice device, ILogger logger, CancellationToken cancellationToken)
    {
        if (_options.DataPath == IPIPDataPath.UserSpace)
        {
            if (await kernel.TryGetLinkAsync(device.Name, cancellationToken).ConfigureAwait(false) is { } existing)
            {
                throw IPIPDevice.ForeignDevice(device.Name, existing, "a TUN device of this node (user-space data path)");
            }

            if (await kernel.TryGetLinkAsync(KernelFallbackDevice, cancellationToken).ConfigureAwait(false) is not null)
            {
                IPIPLog.KernelTunnelAlsoReceives(logger, KernelFallbackDevice);
            }

            return true;
        }

        try
        {
            _ = await device.EnsureAsync(cancellationToken).ConfigureAwait(false);
            return false;
        }
        catch (NetlinkException ex) when (ex.IsNotSupported)
        {
            string reason = $"creating {device.Name} (kind ipip) failed: {ex.Message}; CONFIG_NET_IPIP is off or the ipip module cannot be loaded";
            if (_options.DataPath == IPIPDataPath.Kernel)
            {
                throw NetworkRegistrationException.Permanent(Type, $"The kernel data path was requested but the kernel has no ipip: {reason}.", ex);
            }

            IPIPLog.KernelIPIPUnavailable(logger, reason);
            if (await kernel.TryGetLinkAsync(device.Name, cancellationToken).ConfigureAwait(false) is { } existing)
            {
                throw IPIPDevice.ForeignDevice(device.Name, existing, "a TUN device of this node (user-space data path)");
            }

            return true;
        }
    }
}
