using System.Net;
using BenchmarkDotNet.Attributes;
using Overlay.Subnets;
using Overlay.Subnets.Internal;

namespace Overlay.Benchmarks.Subnets;

/// <summary>
/// Choosing a free subnet in 10.0.0.0/8 with SubnetLen 24 (65,535 allocatable subnets) at 1 %, 50 %
/// and 99 % occupancy, the taken subnets scattered at random.
/// <see cref="ChooseFromListing"/> isolates the allocator (what every acquisition runs on a fresh
/// listing: build the free-range index from the leases, read off the first 100 free candidates,
/// pick one). <see cref="AcquireThroughRegistry"/> adds the in-memory registry around it (listing,
/// identity check, create-if-absent), releasing the lease afterwards so occupancy stays constant.
/// Neither includes any I/O.
/// </summary>
[MemoryDiagnoser]
public class SubnetAllocationBenchmarks
{
    private static readonly IPAddress Min = IPAddress.Parse("10.0.1.0");
    private static readonly IPAddress Max = IPAddress.Parse("10.255.255.0");
    private readonly Random _random = new(1);
    private IPNetwork[] _taken = [];
    private InMemoryLeaseStore? _store;
    private LeaseStoreSubnetRegistry? _registry;
    private LeaseRequest _request = null!;

    [Params(1, 50, 99)]
    public int OccupancyPercent { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        int[] order = Enumerable.Range(1, 65535).OrderBy(_ => random.Next()).ToArray();
        int count = 65535 * OccupancyPercent / 100;
        _taken = order.Take(count).Select(i => new IPNetwork(new IPAddress(new byte[] { 10, (byte)(i >> 8), (byte)i, 0 }), 24)).ToArray();

        _store = new InMemoryLeaseStore(NetworkConfig.Parse("""{"Network":"10.0.0.0/8"}"""), TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        _registry = new LeaseStoreSubnetRegistry(_store, new SubnetRegistryOptions { Random = new Random(7) });
        for (int i = 0; i < _taken.Length; i++)
        {
            var attributes = new LeaseAttributes { PublicIP = new IPAddress(new byte[] { 198, 18, (byte)(i >> 8), (byte)i }) };
            _store.CreateLeaseAsync(new Lease(_taken[i], null, attributes, null), TimeSpan.FromDays(1)).AsTask().GetAwaiter().GetResult();
        }

        _request = new LeaseRequest(new LeaseAttributes { PublicIP = IPAddress.Parse("198.19.0.1") });
    }

    [GlobalCleanup]
    public void Cleanup() => _store?.Dispose();

    [Benchmark]
    public IPNetwork? ChooseFromListing() => SubnetAllocator.Choose(Min, Max, 24, _taken, _random, out _);

    [Benchmark]
    public async Task<Lease> AcquireThroughRegistry()
    {
        Lease lease = await _registry!.AcquireLeaseAsync(_request);
        await _registry.ReleaseLeaseAsync(lease);
        return lease;
    }
}
