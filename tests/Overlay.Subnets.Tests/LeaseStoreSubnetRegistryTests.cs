using System.Net;
using CsCheck;
using Overlay.Subnets.Internal;
using static Overlay.Subnets.Tests.TestRegistry;

namespace Overlay.Subnets.Tests;

public sealed class LeaseStoreSubnetRegistryTests
{
    private const string SpecConfig = """{"Network":"10.3.0.0/16","SubnetMin":"10.3.1.0","SubnetMax":"10.3.25.0","Backend":{"Type":"vxlan"}}""";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<TestRegistry> SpecRegistryAsync()
    {
        // spec §7.3: existing leases 10.3.1/2/4/5.0/24 and an out-of-range 10.3.31.0/24, all PublicIP 1.1.1.1.
        var r = new TestRegistry(SpecConfig);
        foreach (string s in new[] { "10.3.1.0/24", "10.3.2.0/24", "10.3.4.0/24", "10.3.5.0/24", "10.3.31.0/24" })
        {
            await r.SeedAsync(s, "1.1.1.1");
        }

        return r;
    }

    private static void AssertInRange(Lease lease, string min, string max)
    {
        UInt128 a = AddressMath.ToUInt128(lease.Subnet!.Value.BaseAddress);
        Assert.InRange(a, AddressMath.ToUInt128(IPAddress.Parse(min)), AddressMath.ToUInt128(IPAddress.Parse(max)));
    }

    [Fact]
    public async Task New_node_gets_a_free_subnet_in_range_and_the_same_one_again()
    {
        using TestRegistry r = await SpecRegistryAsync();
        Lease first = await r.Registry.AcquireLeaseAsync(new LeaseRequest(Node("1.2.3.4")), Ct);
        AssertInRange(first, "10.3.1.0", "10.3.25.0");
        Assert.Equal(24, first.Subnet!.Value.PrefixLength);
        Assert.DoesNotContain(first.Subnet.Value, new[] { "10.3.1.0/24", "10.3.2.0/24", "10.3.4.0/24", "10.3.5.0/24" }.Select(IPNetwork.Parse));
        Assert.Equal(r.Time.GetUtcNow() + TimeSpan.FromHours(24), first.Expiration);

        Lease again = await r.Registry.AcquireLeaseAsync(new LeaseRequest(Node("1.2.3.4")), Ct);
        Assert.Equal(first.Subnet, again.Subnet);
        Assert.Equal(6, (await r.LeasesAsync()).Count);
    }

    [Fact]
    public async Task Free_compatible_previous_subnet_is_reused()
    {
        using TestRegistry r = await SpecRegistryAsync();
        Lease lease = await r.Registry.AcquireLeaseAsync(new LeaseRequest(Node("1.2.3.4")) { PreviousSubnet = IPNetwork.Parse("10.3.6.0/24") }, Ct);
        Assert.Equal(IPNetwork.Parse("10.3.6.0/24"), lease.Subnet);
    }

    [Theory]
    [InlineData("10.4.1.0/24")] // outside the network
    [InlineData("10.3.2.0/24")] // taken by another node
    [InlineData("10.3.6.0/25")] // wrong length
    [InlineData("10.3.30.0/24")] // inside the network but above SubnetMax
    public async Task Unusable_previous_subnet_is_ignored(string previous)
    {
        using TestRegistry r = await SpecRegistryAsync();
        Lease lease = await r.Registry.AcquireLeaseAsync(new LeaseRequest(Node("1.2.3.4")) { PreviousSubnet = IPNetwork.Parse(previous) }, Ct);
        Assert.NotEqual(IPNetwork.Parse(previous), lease.Subnet);
        AssertInRange(lease, "10.3.1.0", "10.3.25.0");
    }

    [Fact]
    public async Task Lease_incompatible_with_a_changed_config_is_replaced()
    {
        using TestRegistry r = await SpecRegistryAsync();
        Lease old = await r.Registry.AcquireLeaseAsync(new LeaseRequest(Node("1.2.3.4")), Ct);
        r.Store.SetNetworkConfig(NetworkConfig.Parse("""{"Network":"10.4.0.0/16"}"""));

        Lease lease = await r.Registry.AcquireLeaseAsync(new LeaseRequest(Node("1.2.3.4")), Ct);
        AssertInRange(lease, "10.4.1.0", "10.4.255.0");
        IReadOnlyList<Lease> all = await r.LeasesAsync();
        Assert.DoesNotContain(all, l => l.Subnet == old.Subnet);
        Assert.Single(all, l => IPAddress.Parse("1.2.3.4").Equals(l.Attributes.PublicIP));
    }

    [Fact]
    public async Task Reuse_by_public_ip_publishes_the_new_attributes()
    {
        using TestRegistry r = await SpecRegistryAsync();
        Lease first = await r.Registry.AcquireLeaseAsync(new LeaseRequest(Node("1.2.3.4")), Ct);
        Lease second = await r.Registry.AcquireLeaseAsync(new LeaseRequest(Node("1.2.3.4") with { BackendType = "host-gw" }), Ct);
        Assert.Equal(first.Subnet, second.Subnet);
        Assert.Equal("host-gw", (await r.LeasesAsync()).Single(l => l.Subnet == first.Subnet).Attributes.BackendType);
    }

    [Fact]
    public async Task Reservation_is_never_given_to_another_node_and_stays_a_reservation()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UnixEpoch);
        using var registry = new InMemorySubnetRegistry(NetworkConfig.Parse("""{"Network":"10.0.0.0/28"}"""), timeProvider: time);
        // 10.0.0.0/28 gives SubnetLen 30 and 3 subnets: 10.0.0.4, .8, .12.
        Lease reserved = registry.Reserve(IPNetwork.Parse("10.0.0.8/30"), null, Node("198.18.0.9"));
        Assert.True(reserved.IsReservation);
        Assert.Null(reserved.Expiration);

        Lease a = await registry.AcquireLeaseAsync(new LeaseRequest(Node("198.18.0.1")), Ct);
        Lease b = await registry.AcquireLeaseAsync(new LeaseRequest(Node("198.18.0.2")), Ct);
        Assert.Equal(new[] { "10.0.0.12/30", "10.0.0.4/30" }, new[] { a, b }.Select(l => l.Subnet.ToString()).Order());
        await Assert.ThrowsAsync<SubnetsExhaustedException>(() => registry.AcquireLeaseAsync(new LeaseRequest(Node("198.18.0.3")), Ct).AsTask());

        Lease owner = await registry.AcquireLeaseAsync(new LeaseRequest(Node("198.18.0.9")), Ct);
        Assert.Equal(IPNetwork.Parse("10.0.0.8/30"), owner.Subnet);
        Assert.True(owner.IsReservation);
        Lease renewed = await registry.RenewLeaseAsync(owner, Ct);
        Assert.True(renewed.IsReservation);
        Assert.Null(renewed.Expiration);

        time.Advance(TimeSpan.FromDays(30));
        Assert.Contains(await registry.GetLeasesAsync(Ct), l => l.Subnet == IPNetwork.Parse("10.0.0.8/30"));
        Assert.DoesNotContain(await registry.GetLeasesAsync(Ct), l => l.Subnet == a.Subnet);
    }

    [Fact]
    public void Reservation_overlapping_a_lease_is_refused()
    {
        using var registry = new InMemorySubnetRegistry(NetworkConfig.Parse("""{"Network":"10.0.0.0/16"}"""));
        registry.Reserve(IPNetwork.Parse("10.0.5.0/24"), null, Node("198.18.0.9"));
        var ex = Assert.Throws<InvalidOperationException>(() => registry.Reserve(IPNetwork.Parse("10.0.0.0/21"), null, Node("198.18.0.10")));
        Assert.Contains("10.0.5.0-24", ex.Message);
    }

    [Fact]
    public async Task Leases_of_other_lengths_and_unreadable_records_count_as_taken()
    {
        // A /22 lease covers four /24 candidates; an unreadable record covers its key's subnet.
        using var r = new TestRegistry("""{"Network":"10.0.0.0/21"}"""); // SubnetLen 24: 10.0.1.0 .. 10.0.7.0
        await r.SeedAsync("10.0.4.0/22", "198.18.0.1");
        var store = new ErrorInjectingStore(r.Store, new LeaseRecordError("/coreos.com/network/subnets/10.0.1.0-24", "bad JSON") { Subnet = IPNetwork.Parse("10.0.1.0/24") });
        var registry = new LeaseStoreSubnetRegistry(store, new SubnetRegistryOptions { Random = new Random(3) });
        var subnets = new List<IPNetwork>();
        for (int i = 0; i < 2; i++)
        {
            subnets.Add((await registry.AcquireLeaseAsync(new LeaseRequest(Node($"198.18.1.{i}")), Ct)).Subnet!.Value);
        }

        Assert.Equal(new[] { "10.0.2.0/24", "10.0.3.0/24" }, subnets.Select(s => s.ToString()).Order());
        await Assert.ThrowsAsync<SubnetsExhaustedException>(() => registry.AcquireLeaseAsync(new LeaseRequest(Node("198.18.1.9")), Ct).AsTask());
    }

    [Fact]
    public async Task Lost_create_race_is_retried_with_a_fresh_listing()
    {
        // spec Q2 fixed: another node wins the chosen subnet; we choose again and succeed.
        using var r = new TestRegistry("""{"Network":"10.0.0.0/16"}""");
        var racing = new RacingStore(r.Store, losses: 3);
        var registry = new LeaseStoreSubnetRegistry(racing, new SubnetRegistryOptions { Random = new Random(5) });
        Lease lease = await registry.AcquireLeaseAsync(new LeaseRequest(Node("198.18.0.1")), Ct);
        Assert.Equal(4, racing.CreateCalls);
        IReadOnlyList<Lease> all = await r.LeasesAsync();
        Assert.Equal(4, all.Count); // three rivals and us
        Assert.Equal(all.Count, all.Select(l => l.Subnet).Distinct().Count());
        Assert.Contains(all, l => l.Subnet == lease.Subnet && IPAddress.Parse("198.18.0.1").Equals(l.Attributes.PublicIP));
    }

    [Fact]
    public async Task Giving_up_after_max_attempts_is_a_transient_error()
    {
        using var r = new TestRegistry("""{"Network":"10.0.0.0/16"}""");
        var registry = new LeaseStoreSubnetRegistry(new RacingStore(r.Store, losses: 100), new SubnetRegistryOptions { MaxAcquireAttempts = 3 });
        var ex = await Assert.ThrowsAsync<SubnetRegistryException>(() => registry.AcquireLeaseAsync(new LeaseRequest(Node("198.18.0.1")), Ct).AsTask());
        Assert.True(ex.IsTransient);
        Assert.Contains("3 attempts", ex.Message);
    }

    [Fact]
    public async Task Exhaustion_gives_a_clear_error()
    {
        using var r = new TestRegistry("""{"Network":"10.0.0.0/28"}""");
        for (int i = 0; i < 3; i++)
        {
            await r.Registry.AcquireLeaseAsync(new LeaseRequest(Node($"198.18.0.{i + 1}")), Ct);
        }

        var ex = await Assert.ThrowsAsync<SubnetsExhaustedException>(() => r.Registry.AcquireLeaseAsync(new LeaseRequest(Node("198.18.0.9")), Ct).AsTask());
        Assert.Equal("Out of subnets: every /30 subnet of 10.0.0.0/28 from 10.0.0.4 to 10.0.0.12 (3 in all) is leased or reserved.", ex.Message);
        Assert.False(ex.IsTransient);
    }

    [Fact]
    public async Task Dual_stack_leases_get_one_subnet_of_each_family()
    {
        using var r = new TestRegistry("""{"Network":"10.0.0.0/16","EnableIPv6":true,"IPv6Network":"2001:db8:19::/48"}""");
        Lease a = await r.Registry.AcquireLeaseAsync(new LeaseRequest(Node("198.18.0.1", "2001:db8:18::1")), Ct);
        Lease b = await r.Registry.AcquireLeaseAsync(new LeaseRequest(Node("198.18.0.2", "2001:db8:18::2")), Ct);
        Assert.Equal(24, a.Subnet!.Value.PrefixLength);
        Assert.Equal(64, a.IPv6Subnet!.Value.PrefixLength);
        Assert.NotEqual(a.IPv6Subnet, b.IPv6Subnet);
        Assert.Contains("&2001:db8:19:", a.Key);
    }

    [Fact]
    public async Task Stored_ipv4_only_lease_does_not_break_a_dual_stack_network()
    {
        // spec Q21 fixed: a lease without an IPv6 part overlaps nothing of IPv6.
        using var r = new TestRegistry("""{"Network":"10.0.0.0/16","EnableIPv6":true,"IPv6Network":"2001:db8:19::/48"}""");
        await r.SeedAsync("10.0.1.0/24", "198.18.0.5");
        Lease old = await r.SeedAsync("10.0.2.0/24", "198.18.0.1");
        Lease lease = await r.Registry.AcquireLeaseAsync(new LeaseRequest(Node("198.18.0.1", "2001:db8:18::1")), Ct);
        Assert.NotNull(lease.IPv6Subnet);
        Assert.NotEqual(old.Subnet, lease.Subnet); // the incompatible old lease was deleted and not re-picked
        Assert.DoesNotContain(await r.LeasesAsync(), l => l.Subnet == old.Subnet);
    }

    [Fact]
    public async Task Ipv6_only_network_identifies_nodes_by_public_ipv6()
    {
        using var r = new TestRegistry("""{"EnableIPv4":false,"EnableIPv6":true,"IPv6Network":"2001:db8:19::/48"}""");
        var v6only = new LeaseAttributes { PublicIPv6 = IPAddress.Parse("2001:db8:18::1") };
        Lease a = await r.Registry.AcquireLeaseAsync(new LeaseRequest(v6only), Ct);
        Lease b = await r.Registry.AcquireLeaseAsync(new LeaseRequest(new LeaseAttributes { PublicIPv6 = IPAddress.Parse("2001:db8:18::2") }), Ct);
        Lease again = await r.Registry.AcquireLeaseAsync(new LeaseRequest(v6only), Ct);
        Assert.Null(a.Subnet);
        Assert.StartsWith("0.0.0.0-0&2001:db8:19:", a.Key);
        Assert.NotEqual(a.IPv6Subnet, b.IPv6Subnet);
        Assert.Equal(a.IPv6Subnet, again.IPv6Subnet);
    }

    [Fact]
    public async Task Missing_identity_is_a_caller_error()
    {
        using var r = new TestRegistry("""{"Network":"10.0.0.0/16"}""");
        await Assert.ThrowsAsync<ArgumentException>(() => r.Registry.AcquireLeaseAsync(new LeaseRequest(new LeaseAttributes()), Ct).AsTask());
    }

    [Fact]
    public async Task Renewing_a_deleted_or_taken_lease_reports_it_lost()
    {
        using var r = new TestRegistry("""{"Network":"10.0.0.0/16"}""");
        Lease lease = await r.Registry.AcquireLeaseAsync(new LeaseRequest(Node("198.18.0.1")), Ct);
        r.Time.Advance(TimeSpan.FromHours(1));
        Lease renewed = await r.Registry.RenewLeaseAsync(lease, Ct);
        Assert.Equal(r.Time.GetUtcNow() + TimeSpan.FromHours(24), renewed.Expiration);

        await r.Registry.ReleaseLeaseAsync(lease, Ct);
        await Assert.ThrowsAsync<LeaseLostException>(() => r.Registry.RenewLeaseAsync(lease, Ct).AsTask());

        await r.SeedAsync(lease.Subnet!.Value.ToString(), "198.18.0.99");
        await Assert.ThrowsAsync<LeaseLostException>(() => r.Registry.RenewLeaseAsync(lease, Ct).AsTask());
        await r.Registry.ReleaseLeaseAsync(lease, Ct); // releasing what is gone is not an error
    }

    [Fact]
    public async Task Leases_expire_after_their_ttl()
    {
        using var r = new TestRegistry("""{"Network":"10.0.0.0/16"}""");
        Lease lease = await r.Registry.AcquireLeaseAsync(new LeaseRequest(Node("198.18.0.1")), Ct);
        r.Time.Advance(TimeSpan.FromHours(24) - TimeSpan.FromSeconds(1));
        Assert.Single(await r.LeasesAsync());
        r.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Empty(await r.LeasesAsync());
        await Assert.ThrowsAsync<LeaseLostException>(() => r.Registry.RenewLeaseAsync(lease, Ct).AsTask());
    }

    [Fact]
    public async Task Thousand_random_acquisitions_never_overlap_and_stay_in_range()
    {
        using var r = new TestRegistry("""{"Network":"10.0.0.0/8"}""", seed: 42);
        var leases = new List<Lease>();
        for (int i = 0; i < 1000; i++)
        {
            leases.Add(await r.Registry.AcquireLeaseAsync(new LeaseRequest(Node($"198.18.{i / 250}.{(i % 250) + 1}")), Ct));
        }

        foreach (Lease lease in leases)
        {
            AssertInRange(lease, "10.0.1.0", "10.255.255.0");
        }

        Assert.Equal(1000, leases.Select(l => l.Subnet).Distinct().Count());
        Assert.Equal(1000, (await r.LeasesAsync()).Count);
    }

    [Fact]
    public void Random_networks_fill_up_without_overlap_then_report_exhaustion()
    {
        var gen = Gen.Select(Gen.Int[16, 24], Gen.Int[2, 6], Gen.UInt, Gen.Int);
        gen.Sample((prefix, extra, address, seed) =>
        {
            var network = new IPNetwork(AddressMath.MaskAddress(new IPAddress(BitConverter.GetBytes(address | 1)), prefix), prefix);
            string json = $$"""{"Network":"{{network}}","SubnetLen":{{prefix + extra}}}""";
            NetworkConfig config = NetworkConfig.Parse(json).Validate();
            using var r = new TestRegistry(json, seed: seed);
            int expected = (int)config.SubnetCount;
            var seen = new List<IPNetwork>();
            for (int i = 0; i < expected; i++)
            {
                Lease lease = r.Registry.AcquireLeaseAsync(new LeaseRequest(Node($"198.18.{i / 250}.{(i % 250) + 1}")), Ct).AsTask().GetAwaiter().GetResult();
                IPNetwork s = lease.Subnet!.Value;
                Assert.True(config.Network!.Value.Contains(s.BaseAddress));
                AssertInRange(lease, config.SubnetMin!.ToString(), config.SubnetMax!.ToString());
                Assert.DoesNotContain(seen, t => AddressMath.Overlaps(t, s));
                seen.Add(s);
            }

            Assert.Throws<SubnetsExhaustedException>(() => r.Registry.AcquireLeaseAsync(new LeaseRequest(Node("198.19.0.1")), Ct).AsTask().GetAwaiter().GetResult());
        }, iter: 40);
    }

    [Fact]
    public async Task Candidates_examined_stay_bounded_at_99_percent_occupancy()
    {
        // 10.0.0.0/8 with SubnetLen 24: 65,535 allocatable subnets, 99 % of them taken at random.
        using var r = new TestRegistry("""{"Network":"10.0.0.0/8"}""", seed: 7);
        var random = new Random(11);
        int[] order = Enumerable.Range(1, 65535).OrderBy(_ => random.Next()).ToArray();
        int taken = 65535 * 99 / 100;
        for (int i = 0; i < taken; i++)
        {
            int index = order[i];
            await r.SeedAsync($"10.{index >> 8}.{index & 255}.0/24", $"198.18.{i >> 8 & 255}.{i & 255}");
        }

        for (int n = 0; n < 20; n++)
        {
            Lease lease = await r.Registry.AcquireLeaseAsync(new LeaseRequest(Node($"198.19.0.{n + 1}")), Ct);
            Assert.InRange(r.Registry.LastCandidatesExamined, 1, SubnetAllocator.CandidateWindow);
            Assert.DoesNotContain((await r.LeasesAsync()).Where(l => l != lease && l.Subnet == lease.Subnet), _ => true);
        }
    }

    [Fact]
    public void Allocator_picks_among_the_first_100_free_subnets()
    {
        // flannel's window: the choice is uniform among the first 100 free candidates in ascending order.
        IPAddress min = IPAddress.Parse("10.0.1.0"), max = IPAddress.Parse("10.255.255.0");
        var taken = Enumerable.Range(1, 50).Select(i => IPNetwork.Parse($"10.0.{i * 2}.0/24")).ToList();
        List<UInt128> free = SubnetAllocator.FirstFree(min, max, 24, taken, 100, out int examined);
        Assert.Equal(100, free.Count);
        Assert.Equal(100, examined);
        var expected = new List<UInt128>();
        for (UInt128 i = 0; expected.Count < 100; i++)
        {
            if (!taken.Contains(IPNetwork.Parse($"10.{(int)((i + 1) >> 8)}.{(int)((i + 1) & 255)}.0/24")))
            {
                expected.Add(i);
            }
        }

        Assert.Equal(expected, free);
        var random = new Random(1);
        var chosen = Enumerable.Range(0, 2000).Select(_ => SubnetAllocator.Choose(min, max, 24, taken, random, out _)!.Value).ToHashSet();
        Assert.True(chosen.Count > 90, $"only {chosen.Count} distinct choices");
        Assert.All(chosen, c => Assert.DoesNotContain(c, taken));
        Assert.True(chosen.Max(c => AddressMath.ToUInt128(c.BaseAddress)) <= AddressMath.ToUInt128(IPAddress.Parse("10.0.199.0")));
    }

    [Fact]
    public void Allocator_handles_inverted_ranges_and_huge_ipv6_spaces()
    {
        Assert.Null(SubnetAllocator.Choose(IPAddress.Parse("10.0.5.0"), IPAddress.Parse("10.0.1.0"), 24, [], new Random(1), out int examined));
        Assert.Equal(0, examined);
        IPNetwork? v6 = SubnetAllocator.Choose(IPAddress.Parse("2001:db8:0:1::"), IPAddress.Parse("2001:db8:ffff:ffff::"), 64, [IPNetwork.Parse("2001:db8::/33")], new Random(1), out examined);
        Assert.True(AddressMath.ToUInt128(v6!.Value.BaseAddress) >= AddressMath.ToUInt128(IPAddress.Parse("2001:db8:8000::")));
        Assert.Equal(100, examined);
    }

    /// <summary>Reports extra unreadable records in every listing.</summary>
    private sealed class ErrorInjectingStore(ILeaseStore inner, params LeaseRecordError[] errors) : DelegatingStore(inner)
    {
        public override async ValueTask<LeaseListing> ListLeasesAsync(CancellationToken cancellationToken = default)
        {
            LeaseListing listing = await base.ListLeasesAsync(cancellationToken);
            return listing with { Errors = [.. listing.Errors, .. errors] };
        }
    }

    /// <summary>Lets a rival node create the chosen key first, <c>losses</c> times.</summary>
    private sealed class RacingStore(ILeaseStore inner, int losses) : DelegatingStore(inner)
    {
        private int _rival;

        public int CreateCalls { get; private set; }

        public override async ValueTask<Lease?> CreateLeaseAsync(Lease lease, TimeSpan ttl, CancellationToken cancellationToken = default)
        {
            CreateCalls++;
            if (_rival < losses)
            {
                _rival++;
                await base.CreateLeaseAsync(lease with { Attributes = Node($"198.18.200.{_rival}") }, ttl, cancellationToken);
            }

            return await base.CreateLeaseAsync(lease, ttl, cancellationToken);
        }
    }
}

internal class DelegatingStore(ILeaseStore inner) : ILeaseStore
{
    public virtual ValueTask<NetworkConfig> GetNetworkConfigAsync(CancellationToken cancellationToken = default) => inner.GetNetworkConfigAsync(cancellationToken);

    public virtual ValueTask<LeaseListing> ListLeasesAsync(CancellationToken cancellationToken = default) => inner.ListLeasesAsync(cancellationToken);

    public virtual ValueTask<Lease?> CreateLeaseAsync(Lease lease, TimeSpan ttl, CancellationToken cancellationToken = default) => inner.CreateLeaseAsync(lease, ttl, cancellationToken);

    public virtual ValueTask<Lease?> UpdateLeaseAsync(Lease lease, TimeSpan? ttl, CancellationToken cancellationToken = default) => inner.UpdateLeaseAsync(lease, ttl, cancellationToken);

    public virtual ValueTask<bool> DeleteLeaseAsync(Lease lease, CancellationToken cancellationToken = default) => inner.DeleteLeaseAsync(lease, cancellationToken);

    public virtual IAsyncEnumerable<LeaseEventBatch> WatchLeasesAsync(CancellationToken cancellationToken = default) => inner.WatchLeasesAsync(cancellationToken);
}

public sealed class SubnetAllocatorTests
{
    [Fact]
    public void Bitmap_and_sorted_range_indexes_agree()
    {
        // Both free-range indexes must give the same first free candidates for any taken set,
        // including leases longer and shorter than SubnetLen and leases outside the range.
        var gen = CsCheck.Gen.Select(CsCheck.Gen.Int[20, 26], CsCheck.Gen.Select(CsCheck.Gen.Int[0, 4095], CsCheck.Gen.Int[18, 30]).Array[0, 200], CsCheck.Gen.Int[1, 150]);
        gen.Sample((len, leases, limit) =>
        {
            IPAddress min = Overlay.Subnets.Internal.AddressMath.MaskAddress(IPAddress.Parse("10.1.0.0"), len);
            IPAddress max = Overlay.Subnets.Internal.AddressMath.MaskAddress(IPAddress.Parse("10.4.255.255"), len);
            var taken = leases.Select(l => new IPNetwork(Overlay.Subnets.Internal.AddressMath.MaskAddress(new IPAddress([10, (byte)(l.Item1 >> 10), (byte)(l.Item1 >> 2), (byte)(l.Item1 << 6)]), l.Item2), l.Item2)).ToList();
            var a = Overlay.Subnets.Internal.SubnetAllocator.FirstFree(min, max, len, taken, limit, out int ea, useBitmap: true);
            var b = Overlay.Subnets.Internal.SubnetAllocator.FirstFree(min, max, len, taken, limit, out int eb, useBitmap: false);
            Assert.Equal(b, a);
            Assert.Equal(eb, ea);
            Assert.True(ea <= limit);
        }, iter: 300);
    }
}
