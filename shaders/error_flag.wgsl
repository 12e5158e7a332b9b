// The device error flag, prepended to the kernels that can detect invalid input (labels,
// targets, indices). Words: [site, index, value bits, count]. `site` names the dispatch (the
// host keeps what it was: op, shapes, what is valid); the first invalid input since the last
// check wins, and `count` counts that site's invalid inputs. The host reads the flag at the
// next readback that happens anyway and throws an error naming the op and the bad value.

@group(0) @binding(15) var<storage, read_write> error_flag: array<atomic<u32>, 4>;

fn report_invalid(site: u32, index: u32, value: f32) {
  // A weak compare-exchange may fail spuriously: retry until the flag holds some site.
  loop {
    let r = atomicCompareExchangeWeak(&error_flag[0], 0u, site);
    if (r.exchanged) {
      atomicStore(&error_flag[1], index);
      atomicStore(&error_flag[2], bitcast<u32>(value));
      atomicAdd(&error_flag[3], 1u);
      return;
    }
    if (r.old_value != 0u) {
      if (r.old_value == site) { atomicAdd(&error_flag[3], 1u); }
      return;
    }
  }
}
