"""Published lofted tests and the reconstructions analysts published from them (numbers only, with
sources; docs/validation/reconstruct.md). Grades as in docs/CATALOGUE.md: [V] verified in the
quoted article, [S] secondary, [U] commonly cited."""

from __future__ import annotations

TESTS = (
    {"id": "hwasong-14-2017-07-04", "apogee_km": 2802.0, "range_km": 933.0, "flight_time_s": 37 * 60.0,
     "launch": (40.0, 125.2), "azimuth_deg": 95.0,
     "observation_source": "[V] apogee 2,802 km / 933 km (KCNA, as reported); 'more than 930 kilometers' (South Korean "
                           "JCS) and 37 minutes (US Pacific Command), strategicstudyindia.com archive 8 Jul 2017; "
                           "launch from Panghyon [V] (same); azimuth ~east toward the Sea of Japan [U]",
     "published": [("Wright (UCS)", "about", 6700.0, "[V] 'roughly 6,700 km (4,160 miles) on a standard trajectory', "
                                                     "vice.com 4 Jul 2017"),
                   ("CSIS Missile Threat", "up to", 7000.0, "[V] 'could be as much as 7,000 kilometers', "
                                                            "missilethreat.csis.org")]},
    {"id": "hwasong-14-2017-07-28", "apogee_km": 3724.9, "range_km": 998.0, "flight_time_s": 47 * 60.0 + 12.0,
     "launch": (40.6, 126.4), "azimuth_deg": 100.0,
     "observation_source": "[V] 3,724.9 km, 998 km, 47 min 12 s (KCNA, as reported by Janes 1 Aug 2017 and CSIS "
                           "Missile Threat); launch from Mupyong-ni [V] (CSIS)",
     "published": [("Wright (UCS)", "about", 10400.0, "[V] 'a range 10,400 km (6,500 miles), not taking into account "
                                                      "the rotation of the Earth', bnonews.com 28 Jul 2017"),
                   ("CSIS Missile Threat", "more than", 10000.0, "[V] 'a range in excess of 10,000 kilometers', "
                                                                "missilethreat.csis.org")]},
    {"id": "hwasong-15-2017-11-29", "apogee_km": 4475.0, "range_km": 950.0, "flight_time_s": 53 * 60.0,
     "launch": (39.3, 125.9), "azimuth_deg": 95.0,
     "observation_source": "[V] 4,475 km, 950 km, 53 minutes (KCNA statement, defence-industries.com 29 Nov 2017); "
                           "launch from Pyongsong [V] (wrtv.com 29 Nov 2017)",
     "published": [("Wright (UCS)", "more than", 13000.0, "[V] 'a range of more than 13,000 kilometers (km) (8,100 "
                                                          "miles)', blog.ucsusa.org 28 Nov 2017")]},
    {"id": "hwasong-17-2022-11-18", "apogee_km": 6040.9, "range_km": 999.2, "flight_time_s": 4135.0,
     "launch": (39.2, 125.7), "azimuth_deg": 95.0,
     "observation_source": "[V] 6,040.9 km, 999.2 km, 4,135 s from Pyongyang International Airport (KCNA, TASS "
                           "19 Nov 2022)",
     "published": [("Japanese Ministry of Defense", "more than", 15000.0, "[V] 'capable of flying more than 15,000 "
                                                                          "kilometers', TASS 19 Nov 2022")]},
)
