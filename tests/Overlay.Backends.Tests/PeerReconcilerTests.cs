using System.Net;
using Microsoft.Extensions.Time.Testing;
using Overlay.Backends.Reconcile;
using Overlay.Subnets;
using Overlay.Testing;

namespace Overlay.Backends.Tests;

public sealed class PeerReconcilerTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));
    private readonly List<string> _log = [];
    private readonly FakeKind<FakeObject> _neigh;
    private readonly FakeKind<FakeObject> _routes;
    private readonly PeerReconciler _reconciler;
    private readonly List<PeerStatusChangedEventArgs> _events = [];

    public PeerReconcilerTests()
    {
        _neigh = new FakeKind<FakeObject>("neighbour", _log, o => o.Key) { LogLists = true };
        _routes = new FakeKind<FakeObject>("route", _log, o => o.Key) { LogLists = true, IsOwned = o => !o.Key.StartsWith("foreign", StringComparison.Ordinal) };
        _reconciler = new PeerReconciler([_neigh, _routes], new ReconcileOptions { InitialRetryDelay = TimeSpan.FromSeconds(1), MaxRetryDelay = TimeSpan.FromSeconds(4) }, _time);
        _reconciler.StatusChanged += (_, e) => _events.Add(e);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Lease Lease(int n, string ip) => new(IPNetwork.Parse($"10.1.{n}.0/24"), null, new LeaseAttributes { PublicIP = IPAddress.Parse(ip), BackendType = "test" }, null);

    /// <summary>A vxlan-like plan: a neighbour entry and a route per peer.</summary>
    private PeerPlan Plan(int n, string ip, PeerMode mode = PeerMode.Vxlan) => new(Lease(n, ip), mode, "test", mode == PeerMode.Vxlan
        ? [new DesiredObject(_neigh, new FakeObject($"n{n}", ip)), new DesiredObject(_routes, new FakeObject($"r{n}", "via " + ip))]
        : [new DesiredObject(_routes, new FakeObject($"r{n}", "direct " + ip))]);

    [Fact]
    public async Task A_throwing_status_subscriber_does_not_fault_the_reconciler()
    {
        _reconciler.StatusChanged += (_, _) => throw new InvalidOperationException("subscriber bug");

        await _reconciler.ApplyAsync([Plan(1, "198.18.0.1")], [], Ct);

        Assert.Single(_events);
        Assert.Equal(2, _neigh.Kernel.Count + _routes.Kernel.Count);
    }

    [Fact]
    public async Task Added_peers_are_installed_in_one_bulk_call_per_kind_in_kind_order()
    {
        await _reconciler.ApplyAsync([Plan(1, "198.18.0.1"), Plan(2, "198.18.0.2")], [], Ct);
        Assert.Equal(["neighbour install n1=198.18.0.1 ; n2=198.18.0.2", "route install r1=via 198.18.0.1 ; r2=via 198.18.0.2"], _log);
        Assert.Equal(4, _neigh.Kernel.Count + _routes.Kernel.Count);
        Assert.All(_reconciler.Status, s => Assert.True(s.IsHealthy));
        Assert.Equal(2, _events.Count(e => e.Previous is null));
    }

    [Fact]
    public async Task Removed_peer_loses_its_objects_in_reverse_kind_order()
    {
        await _reconciler.ApplyAsync([Plan(1, "198.18.0.1"), Plan(2, "198.18.0.2")], [], Ct);
        _log.Clear();
        await _reconciler.ApplyAsync([], ["10.1.1.0-24"], Ct);
        Assert.Equal(["route remove r1=via 198.18.0.1", "neighbour remove n1=198.18.0.1"], _log);
        Assert.Equal(["n2"], _neigh.Kernel.Keys);
        Assert.Equal(["r2"], _routes.Kernel.Keys);
        Assert.Single(_reconciler.Status);
        Assert.Contains(_events, e => e.Current is null && e.Previous!.Key == "10.1.1.0-24");
    }

    [Fact]
    public async Task Changed_public_ip_replaces_exactly_what_changed()
    {
        await _reconciler.ApplyAsync([Plan(1, "198.18.0.1"), Plan(2, "198.18.0.2")], [], Ct);
        _log.Clear();
        await _reconciler.ApplyAsync([Plan(1, "198.18.0.9")], [], Ct);
        Assert.Equal(["neighbour install n1=198.18.0.9", "route install r1=via 198.18.0.9"], _log);
        Assert.Equal("198.18.0.2", _neigh.Kernel["n2"].Value);
    }

    [Fact]
    public async Task Unchanged_plan_programs_nothing()
    {
        await _reconciler.ApplyAsync([Plan(1, "198.18.0.1")], [], Ct);
        _log.Clear();
        await _reconciler.ApplyAsync([Plan(1, "198.18.0.1")], [], Ct);
        Assert.Empty(_log);
    }

    [Fact]
    public async Task Mode_change_removes_objects_no_longer_wanted()
    {
        await _reconciler.ApplyAsync([Plan(1, "198.18.0.1")], [], Ct);
        await _reconciler.ApplyAsync([Plan(1, "198.18.0.1", PeerMode.Direct)], [], Ct);
        Assert.Empty(_neigh.Kernel);
        Assert.Equal("direct 198.18.0.1", _routes.Kernel["r1"].Value);
        Assert.Equal(PeerMode.Direct, Assert.Single(_reconciler.Status).Mode);
    }

    [Fact]
    public async Task Full_reconcile_removes_stale_objects_keeps_correct_ones_and_restores_missing()
    {
        // Left by an earlier run or a predecessor: r1 correct, r7 stale (ours), n1 altered, foreign untouched.
        _routes.Kernel["r1"] = new FakeObject("r1", "via 198.18.0.1");
        _routes.Kernel["r7"] = new FakeObject("r7", "via 198.18.0.7");
        _routes.Kernel["foreign-x"] = new FakeObject("foreign-x", "not ours");
        _neigh.Kernel["n1"] = new FakeObject("n1", "198.18.9.9");
        _reconciler.SetDesired([Plan(1, "198.18.0.1"), Plan(2, "198.18.0.2")]);

        ReconcileResult result = await _reconciler.ReconcileAllAsync(Ct);

        Assert.Equal(new ReconcileResult(Installed: 3, Removed: 1, Failed: 0), result);
        Assert.Equal(["foreign-x", "r1", "r2"], _routes.Kernel.Keys.Order());
        Assert.Equal("198.18.0.1", _neigh.Kernel["n1"].Value);
        Assert.DoesNotContain(_routes.Calls, c => c.Contains("install r1", StringComparison.Ordinal));

        // After the reconcile the programmed state is known: a repeat changes nothing.
        Assert.Equal(new ReconcileResult(0, 0, 0), await _reconciler.ReconcileAllAsync(Ct));
    }

    [Fact]
    public async Task Errors_are_isolated_per_peer_and_retried_with_back_off()
    {
        _routes.FailInstall = o => o.Key == "r2" ? "ENETUNREACH: Nexthop has invalid gateway" : null;
        await _reconciler.ApplyAsync([Plan(1, "198.18.0.1"), Plan(2, "198.18.0.2"), Plan(3, "198.18.0.3")], [], Ct);

        PeerStatus failing = _reconciler.Status.Single(s => s.Key == "10.1.2.0-24");
        Assert.Contains("Nexthop has invalid gateway", failing.LastError);
        Assert.False(failing.IsHealthy);
        Assert.All(_reconciler.Status.Where(s => s.Key != "10.1.2.0-24"), s => Assert.True(s.IsHealthy));
        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromSeconds(1), _reconciler.NextRetryDue);

        // Not due yet: nothing happens.
        _log.Clear();
        await _reconciler.RetryDueAsync(Ct);
        Assert.Empty(_routes.Calls);

        // Due, still failing: back-off doubles.
        _time.Advance(TimeSpan.FromSeconds(1));
        await _reconciler.RetryDueAsync(Ct);
        Assert.Equal(["route install r2=via 198.18.0.2"], _routes.Calls);
        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromSeconds(2), _reconciler.NextRetryDue);

        // The cause goes away: the retry succeeds and clears the error.
        _routes.FailInstall = null;
        _time.Advance(TimeSpan.FromSeconds(2));
        await _reconciler.RetryDueAsync(Ct);
        Assert.Null(_reconciler.Status.Single(s => s.Key == "10.1.2.0-24").LastError);
        Assert.Null(_reconciler.NextRetryDue);
        Assert.True(_routes.Kernel.ContainsKey("r2"));
    }

    [Fact]
    public async Task Back_off_is_capped()
    {
        _routes.FailInstall = _ => "EPERM";
        await _reconciler.ApplyAsync([Plan(1, "198.18.0.1")], [], Ct);
        TimeSpan last = TimeSpan.Zero;
        for (int i = 0; i < 6; i++)
        {
            DateTimeOffset due = _reconciler.NextRetryDue!.Value;
            last = due - _time.GetUtcNow();
            _time.Advance(last);
            await _reconciler.RetryDueAsync(Ct);
        }

        Assert.Equal(TimeSpan.FromSeconds(4), last);
    }

    [Fact]
    public async Task Failed_removal_is_kept_and_retried()
    {
        await _reconciler.ApplyAsync([Plan(1, "198.18.0.1")], [], Ct);
        _routes.FailRemove = _ => "EBUSY";
        await _reconciler.ApplyAsync([], ["10.1.1.0-24"], Ct);
        Assert.True(_routes.Kernel.ContainsKey("r1"));
        Assert.Contains("EBUSY", Assert.Single(_reconciler.Status).LastError);

        _routes.FailRemove = null;
        _time.Advance(TimeSpan.FromSeconds(1));
        await _reconciler.RetryDueAsync(Ct);
        Assert.Empty(_routes.Kernel);
        Assert.Empty(_reconciler.Status);
    }

    [Fact]
    public async Task A_batch_that_throws_fails_every_peer_in_it_without_losing_state()
    {
        _routes.ThrowOnInstall = true;
        await _reconciler.ApplyAsync([Plan(1, "198.18.0.1"), Plan(2, "198.18.0.2")], [], Ct);
        Assert.All(_reconciler.Status, s => Assert.Contains("netlink socket closed", s.LastError));
        Assert.Equal(2, _neigh.Kernel.Count); // the other kind went through

        _routes.ThrowOnInstall = false;
        _time.Advance(TimeSpan.FromSeconds(1));
        await _reconciler.RetryDueAsync(Ct);
        Assert.Equal(2, _routes.Kernel.Count);
        Assert.All(_reconciler.Status, s => Assert.True(s.IsHealthy));
    }

    [Fact]
    public async Task Repair_restores_deleted_and_altered_objects_only()
    {
        await _reconciler.ApplyAsync([Plan(1, "198.18.0.1"), Plan(2, "198.18.0.2")], [], Ct);
        FakeObject deleted = _routes.Kernel["r1"];
        _routes.Kernel.Remove("r1");
        _neigh.Kernel["n2"] = new FakeObject("n2", "aa:aa");

        Assert.Equal(1, await _reconciler.RepairAsync(_routes, [(deleted, true)], Ct));
        Assert.Equal(1, await _reconciler.RepairAsync(_neigh, [(_neigh.Kernel["n2"], false)], Ct));
        Assert.Equal("via 198.18.0.1", _routes.Kernel["r1"].Value);
        Assert.Equal("198.18.0.2", _neigh.Kernel["n2"].Value);

        // Notifications of our own, matching installs and of objects nobody wants change nothing.
        Assert.Equal(0, await _reconciler.RepairAsync(_routes, [(_routes.Kernel["r2"], false), (new FakeObject("r9", "x"), true)], Ct));
    }

    [Fact]
    public async Task Unreachable_plan_has_a_reason_and_no_objects()
    {
        await _reconciler.ApplyAsync([PeerPlan.Unreachable(Lease(4, "198.18.2.4"), "behind a router")], [], Ct);
        PeerStatus status = Assert.Single(_reconciler.Status);
        Assert.Equal((PeerMode.Unreachable, "behind a router"), (status.Mode, status.Reason));
        Assert.False(status.IsHealthy);
        Assert.Empty(_routes.Kernel);
    }

    [Fact]
    public void Options_are_validated()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PeerReconciler([], new ReconcileOptions { RouteProtocol = 3 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PeerReconciler([], new ReconcileOptions { FullReconcileInterval = TimeSpan.Zero }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PeerReconciler([], new ReconcileOptions { MaxRetryDelay = TimeSpan.FromMilliseconds(1) }));
    }
}
