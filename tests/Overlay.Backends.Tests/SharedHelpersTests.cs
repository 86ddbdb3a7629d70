using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Overlay.Netlink;
using Overlay.Subnets;
using Overlay.Testing;

namespace Overlay.Backends.Tests;

/// <summary>The public helpers every backend (first-party or not) builds on.</summary>
public sealed class SharedHelpersTests
{
    private static readonly NetworkConfig DualStack = NetworkConfig.Parse("""{"Network":"198.19.0.0/16","EnableIPv6":true,"IPv6Network":"2001:db8:19::/48","Backend":{"Type":"vxlan"}}""");

    private static Route Via(string gateway, int oif) => new() { Destination = IPNetwork.Parse("198.18.2.0/24"), Gateway = IPAddress.Parse(gateway), OutputInterface = oif };

    private static Route Direct(int oif) => new() { Destination = IPNetwork.Parse("198.18.1.2/32"), OutputInterface = oif };

    [Fact]
    public void On_link_verdicts_name_the_address_the_router_and_the_interface()
    {
        IPAddress peer = IPAddress.Parse("198.18.1.2");
        Func<int, string?> names = i => i == 2 ? "eth0" : null;

        OnLinkResult onLink = UnderlayRoutes.Evaluate(peer, [Direct(2)], 2, names);
        Assert.True(onLink.IsOnLink);
        Assert.Equal("198.18.1.2 is on-link via eth0", onLink.Reason);

        OnLinkResult routed = UnderlayRoutes.Evaluate(peer, [Via("198.18.1.254", 2)], null, names);
        Assert.Equal(OnLinkVerdict.ViaRouter, routed.Verdict);
        Assert.Equal("198.18.1.2 is not on-link: reached via router 198.18.1.254", routed.Reason);

        OnLinkResult other = UnderlayRoutes.Evaluate(peer, [Direct(7)], 2, names);
        Assert.Equal(OnLinkVerdict.OtherInterface, other.Verdict);
        Assert.Equal("198.18.1.2 is on-link via index 7, not via eth0", other.Reason);

        Assert.Equal(OnLinkVerdict.Multipath, UnderlayRoutes.Evaluate(peer, [Direct(2), Direct(3)]).Verdict);
        Assert.Equal(OnLinkVerdict.NoRoute, UnderlayRoutes.Evaluate(peer, []).Verdict);
    }

    [Fact]
    public async Task A_failed_route_lookup_is_no_route_with_the_kernels_error()
    {
        OnLinkResult result = await UnderlayRoutes.CheckOnLinkAsync(
            (_, _) => throw new NetlinkException("route get 198.18.9.9", LinuxErrno.ENETUNREACH), IPAddress.Parse("198.18.9.9"), cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(OnLinkVerdict.NoRoute, result.Verdict);
        Assert.Contains("ENETUNREACH", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Owned_routes_are_ours_by_protocol_or_a_predecessors_gateway_route_into_the_overlay_on_its_device()
    {
        Func<Route, bool> owned = UnderlayRoutes.OwnedRoutes(DualStack, 111, () => [5]);
        Route ours = new() { Destination = IPNetwork.Parse("198.19.3.0/24"), Gateway = IPAddress.Parse("198.19.3.0"), OutputInterface = 9, Protocol = 111, Table = RouteTable.Main };
        Route predecessor = ours with { Protocol = 4, OutputInterface = 5 };

        Assert.True(owned(ours));
        Assert.True(owned(predecessor));
        Assert.True(owned(predecessor with { Destination = IPNetwork.Parse("2001:db8:19:3::/64"), Gateway = IPAddress.Parse("2001:db8:19:3::") }));
        Assert.False(owned(predecessor with { OutputInterface = 6 }), "another device");
        Assert.False(owned(predecessor with { Destination = IPNetwork.Parse("198.18.3.0/24") }), "outside the overlay");
        Assert.False(owned(predecessor with { Gateway = null }), "no gateway");
        Assert.False(owned(predecessor with { Type = RouteType.Blackhole }), "not unicast");
        Assert.False(owned(ours with { Protocol = 112 }), "the blackhole protocol is not ours");
        Assert.False(owned(ours with { Table = 200 }), "another table");
    }

    [Fact]
    public void Lease_attributes_follow_flannels_recipe_and_a_missing_public_address_is_a_permanent_error()
    {
        using var registry = new InMemorySubnetRegistry(DualStack);
        var external = new ExternalInterface("eth0", 2, 1500)
        {
            Address = IPAddress.Parse("198.18.1.1"),
            PublicIP = IPAddress.Parse("198.18.1.1"),
            IPv6Address = IPAddress.Parse("2001:db8:18:1::1"),
            PublicIPv6 = IPAddress.Parse("2001:db8:18:1::1"),
        };
        var registration = new NetworkRegistration(DualStack, external, registry);
        System.Text.Json.JsonElement data = System.Text.Json.JsonDocument.Parse("""{"VNI":1}""").RootElement;

        LeaseAttributes attributes = registration.CreateLeaseAttributes("vxlan", data, data);

        Assert.Equal(IPAddress.Parse("198.18.1.1"), attributes.PublicIP);
        Assert.Equal(IPAddress.Parse("2001:db8:18:1::1"), attributes.PublicIPv6);
        Assert.Equal("vxlan", attributes.BackendType);
        Assert.Equal(1, attributes.BackendV6Data!.Value.GetProperty("VNI").GetInt32());

        var noV6 = registration with { ExternalInterface = external with { PublicIPv6 = null } };
        var error = Assert.Throws<NetworkRegistrationException>(() => noV6.CreateLeaseAttributes("vxlan"));
        Assert.False(error.IsTransient);
        Assert.Equal("vxlan", error.BackendType);
        Assert.StartsWith("vxlan: IPv6 is enabled but the external interface has no public IPv6 address", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Netlink_options_get_the_registrations_logger_factory_unless_they_name_one()
    {
        using var registry = new InMemorySubnetRegistry(DualStack);
        using ILoggerFactory factory = new TestLoggerFactory();
        using ILoggerFactory own = new TestLoggerFactory();
        var registration = new NetworkRegistration(DualStack, new ExternalInterface("eth0", 2, 1500), registry) { LoggerFactory = factory };

        Assert.Same(factory, registration.EffectiveNetlinkOptions.LoggerFactory);
        Assert.Same(own, (registration with { NetlinkOptions = new() { LoggerFactory = own } }).EffectiveNetlinkOptions.LoggerFactory);
        Assert.Null((registration with { LoggerFactory = NullLoggerFactory.Instance }).EffectiveNetlinkOptions.LoggerFactory);
    }

    [Fact]
    public void Registration_validation_names_the_bad_setting()
    {
        using var registry = new InMemorySubnetRegistry(DualStack);
        var registration = new NetworkRegistration(DualStack, new ExternalInterface("eth0", 2, 1500), registry) { Reconcile = new ReconcileOptions { RouteProtocol = 3 } };

        var error = Assert.Throws<ArgumentOutOfRangeException>(registration.Validate);
        Assert.Equal("RouteProtocol", error.ParamName);
    }

    [Fact]
    public void Node_status_tracker_reports_updates_and_clears_problems_once_each()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));
        var tracker = new NodeStatusTracker(time);
        var changes = new List<NodeStatusChangedEventArgs>();
        tracker.Changed += (_, e) => changes.Add(e);

        Assert.True(tracker.Report("RouteTableFull", "50 of 50 routes"));
        Assert.False(tracker.Report("RouteTableFull", "50 of 50 routes"));
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(tracker.Report("RouteTableFull", "51 of 50 routes"));
        Assert.True(tracker.Report("CredentialsRejected", "the provider said 401"));

        NodeStatus status = tracker.Current;
        Assert.False(status.IsHealthy);
        Assert.Equal(["CredentialsRejected", "RouteTableFull"], status.Problems.Select(p => p.Code));
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero), status.Find("RouteTableFull")!.Since); // an update keeps the time
        Assert.Equal("CredentialsRejected: the provider said 401; RouteTableFull: 51 of 50 routes", status.Summary);

        Assert.True(tracker.Clear("RouteTableFull"));
        Assert.False(tracker.Clear("RouteTableFull"));
        Assert.True(tracker.Clear("CredentialsRejected"));
        Assert.Same(NodeStatus.Healthy, tracker.Current);
        Assert.Equal(5, changes.Count);
        Assert.True(changes[^1].Current.IsHealthy);
    }

    [Fact]
    public void A_throwing_subscriber_is_logged_and_the_others_still_run()
    {
        var logs = new ListLogger();
        var tracker = new NodeStatusTracker(logger: logs);
        int called = 0;
        tracker.Changed += (_, _) => throw new InvalidOperationException("subscriber bug");
        tracker.Changed += (_, _) => called++;

        Assert.True(tracker.Report("X", "y"));

        Assert.Equal(1, called);
        Assert.Contains(logs.Entries, e => e.EventId.Id == BackendsEventIds.SubscriberFailed && e.Exception is InvalidOperationException);
    }

    [Fact]
    public void Netlink_errno_helpers_classify_the_kernels_answers()
    {
        Assert.True(new NetlinkException("link add", LinuxErrno.EEXIST).IsAlreadyExists);
        Assert.All([LinuxErrno.ENOENT, LinuxErrno.ESRCH, LinuxErrno.ENODEV, LinuxErrno.EADDRNOTAVAIL], e => Assert.True(new NetlinkException("del", e).IsNotFound));
        Assert.False(new NetlinkException("del", LinuxErrno.EEXIST).IsNotFound);
        Assert.True(new NetlinkException("link add", LinuxErrno.EPERM).IsPermissionDenied);
        Assert.True(new NetlinkException("link add", LinuxErrno.EOPNOTSUPP).IsNotSupported);
        Assert.True(new NetlinkException("link add", LinuxErrno.EBUSY).IsTransient);
    }

    private sealed class TestLoggerFactory : ILoggerFactory
    {
        public void AddProvider(ILoggerProvider provider)
        {
        }

        public ILogger CreateLogger(string categoryName) => NullLogger.Instance;

        public void Dispose()
        {
        }
    }
}
