using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Overlay.Netlink;
using Overlay.Subnets;

namespace Overlay.Backends;

/// <summary>Everything a backend needs to register the node's network.</summary>
/// <param name="Config">The validated network configuration (its <see cref="NetworkConfig.Backend"/> is the backend's raw configuration).</param>
/// <param name="ExternalInterface">The interface peers reach this node through.</param>
/// <param name="Registry">Where the lease is acquired and peers are watched.</param>
public sealed record NetworkRegistration(NetworkConfig Config, ExternalInterface ExternalInterface, ISubnetRegistry Registry)
{
    /// <summary>The IPv4 subnet this node held before (from subnet.env), asked for first.</summary>
    public IPNetwork? PreviousSubnet { get; init; }

    /// <summary>The IPv6 subnet this node held before.</summary>
    public IPNetwork? PreviousIPv6Subnet { get; init; }

    /// <summary>How backends open netlink connections; set <see cref="NetlinkClientOptions.NetworkNamespace"/>
    /// to program a node inside a network namespace.</summary>
    public NetlinkClientOptions NetlinkOptions { get; init; } = new();

    /// <summary>Reconciliation and self-healing settings.</summary>
    public ReconcileOptions Reconcile { get; init; } = new();

    /// <summary>Logging.</summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    /// <summary>The clock (tests pass a fake one).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Builds the lease request for <paramref name="attributes"/> with the previous subnets.</summary>
    public LeaseRequest CreateLeaseRequest(LeaseAttributes attributes) =>
        new(attributes) { PreviousSubnet = PreviousSubnet, PreviousIPv6Subnet = PreviousIPv6Subnet };

    /// <summary>
    /// The lease attributes every backend publishes (flannel's recipe): <c>PublicIP</c> = the external
    /// interface's public IPv4 address when IPv4 is enabled (else <c>0.0.0.0</c>), <c>PublicIPv6</c> = its
    /// public IPv6 address when IPv6 is enabled, <c>BackendType</c>, and the backend's data per family.
    /// </summary>
    /// <param name="backendType">The backend type written to the lease (<c>vxlan</c>, <c>host-gw</c>, …; empty for alloc, as flanneld writes it).</param>
    /// <param name="backendData">The backend's IPv4 data (for example vxlan's <c>{"VNI":1,"VtepMAC":"…"}</c>), if any.</param>
    /// <param name="backendV6Data">The backend's IPv6 data, if any.</param>
    /// <returns>The attributes.</returns>
    /// <exception cref="NetworkRegistrationException">An enabled family has no public address on the external interface (permanent).</exception>
    public LeaseAttributes CreateLeaseAttributes(string backendType, System.Text.Json.JsonElement? backendData = null, System.Text.Json.JsonElement? backendV6Data = null)
    {
        ArgumentNullException.ThrowIfNull(backendType);
        IPAddress? publicIP = ExternalInterface.PublicIP;
        IPAddress? publicIPv6 = ExternalInterface.PublicIPv6;
        if (Config.EnableIPv4 && publicIP is null)
        {
            throw NetworkRegistrationException.Permanent(backendType, $"IPv4 is enabled but the external interface has no public IPv4 address ({ExternalInterface}); give the interface an IPv4 address or set the public IP.");
        }

        if (Config.EnableIPv6 && publicIPv6 is null)
        {
            throw NetworkRegistrationException.Permanent(backendType, $"IPv6 is enabled but the external interface has no public IPv6 address ({ExternalInterface}); give the interface a global IPv6 address or set the public IPv6.");
        }

        return new LeaseAttributes
        {
            PublicIP = Config.EnableIPv4 ? publicIP : null,
            PublicIPv6 = Config.EnableIPv6 ? publicIPv6 : null,
            BackendType = backendType,
            BackendData = Config.EnableIPv4 ? backendData : null,
            BackendV6Data = Config.EnableIPv6 ? backendV6Data : null,
        };
    }

    /// <summary>
    /// The netlink options backends open their clients with: <see cref="NetlinkOptions"/>, with
    /// <see cref="LoggerFactory"/> filled in when the options name none, so netlink's own logs reach the
    /// agent's log.
    /// </summary>
    public NetlinkClientOptions EffectiveNetlinkOptions =>
        NetlinkOptions.LoggerFactory is null && LoggerFactory is not NullLoggerFactory ? NetlinkOptions with { LoggerFactory = LoggerFactory } : NetlinkOptions;

    /// <summary>Opens a netlink client in the node's namespace with <see cref="EffectiveNetlinkOptions"/>; the caller owns it.</summary>
    /// <returns>The client.</returns>
    public NetlinkClient OpenNetlinkClient() => NetlinkClient.Open(EffectiveNetlinkOptions);

    /// <summary>Checks the registration's own settings (<see cref="Reconcile"/>); backends call it before anything else.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range; the message names it.</exception>
    public void Validate() => Reconcile.Validate();
}
